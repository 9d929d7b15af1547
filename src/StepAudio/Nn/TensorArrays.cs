using static TorchSharp.torch;

namespace StepAudio.Nn;

/// <summary>Tensors as plain .NET arrays, for results handed to callers (mels in TtsResult, notebook charts).</summary>
public static class TensorArrays
{
    /// <summary>A 2-D tensor (any floating dtype or device) as <c>float[rows, columns]</c>.</summary>
    public static float[,] ToFloat2D(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.dim() != 2) throw new TensorArgumentException($"TensorArrays.ToFloat2D: expected a 2-D tensor; got [{string.Join(", ", t.shape)}]");
        using var c = t.detach().to_type(ScalarType.Float32).cpu().contiguous();
        var result = new float[c.shape[0], c.shape[1]];
        var flat = c.data<float>().ToArray();
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(float));
        return result;
    }
}
