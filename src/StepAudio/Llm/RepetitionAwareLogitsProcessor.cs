using static TorchSharp.torch;

namespace StepAudio.Llm;

/// <summary>
/// Upstream's repetition guard (tts.py <c>RepetitionAwareLogitsProcessor</c>): over the last 10 tokens of the whole
/// sequence (prompt included), if the last token's share is above 0.1 — it occurs at least twice — its logit is set
/// to −∞. Sequences shorter than 10 are left alone.
/// </summary>
public static class RepetitionAwareLogitsProcessor
{
    /// <summary>Window length.</summary>
    public const int WindowSize = 10;
    /// <summary>Share above which the last token is banned.</summary>
    public const double Threshold = 0.1;

    /// <summary>Applies the rule in place to <paramref name="scores"/> [vocab] for the sequence <paramref name="ids"/>.</summary>
    public static void Apply(IReadOnlyList<long> ids, Tensor scores)
    {
        if (ids.Count < WindowSize) return;
        long last = ids[^1];
        int count = 0;
        for (int i = ids.Count - WindowSize; i < ids.Count; i++) if (ids[i] == last) count++;
        if ((double)count / WindowSize > Threshold && last >= 0 && last < scores.shape[^1])
            scores[last] = float.NegativeInfinity;
    }
}
