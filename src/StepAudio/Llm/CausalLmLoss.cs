using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace StepAudio.Llm;

/// <summary>
/// Hugging Face <c>ForCausalLMLoss</c>: logits at position t predict labels at t+1; positions labelled −100 (prompt
/// and padding) are ignored; the mean is over the remaining tokens. Logits are upcast to float32 first, as upstream.
/// </summary>
public static class CausalLmLoss
{
    /// <summary>The label value that is not scored.</summary>
    public const long IgnoreIndex = -100;

    /// <summary>Mean shifted cross-entropy of <paramref name="logits"/> [B, S, V] against <paramref name="labels"/> [B, S].</summary>
    public static Tensor Compute(Tensor logits, Tensor labels)
    {
        if (logits.dim() != 3 || labels.dim() != 2 || logits.shape[0] != labels.shape[0] || logits.shape[1] != labels.shape[1])
            throw new ArgumentException($"logits [{string.Join(", ", logits.shape)}] and labels " +
                                        $"[{string.Join(", ", labels.shape)}] must be [B, S, V] and [B, S]");
        using var scope = NewDisposeScope();
        long s = logits.shape[1], v = logits.shape[2];
        var shiftLogits = logits.narrow(1, 0, s - 1).to_type(ScalarType.Float32).reshape(-1, v);
        var shiftLabels = labels.narrow(1, 1, s - 1).reshape(-1).to_type(ScalarType.Int64);
        return functional.cross_entropy(shiftLogits, shiftLabels, ignore_index: IgnoreIndex)
            .MoveToOuterDisposeScope();
    }
}
