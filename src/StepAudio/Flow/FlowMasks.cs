using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>Length masks as upstream's <c>~make_pad_mask(lengths, T)</c>.</summary>
public static class FlowMasks
{
    /// <summary>[B, T] bool, true where t &lt; lengths[b].</summary>
    public static Tensor Valid(Tensor lengths, long maxLen)
    {
        using var scope = NewDisposeScope();
        var t = arange(maxLen, ScalarType.Int64, lengths.device).unsqueeze(0);
        return t.lt(lengths.to_type(ScalarType.Int64).unsqueeze(1)).MoveToOuterDisposeScope();
    }
}
