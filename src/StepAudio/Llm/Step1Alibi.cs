using static TorchSharp.torch;

namespace StepAudio.Llm;

/// <summary>
/// Step1's causal sqrt-ALiBi attention bias (modeling_step1.py <c>build_alibi_cache</c>):
/// <c>bias[h,i,j] = -slope_h · sqrt(i − j)</c> for j ≤ i and −∞ above the diagonal. There are no position embeddings;
/// this bias is the model's only notion of order.
/// </summary>
public static class Step1Alibi
{
    /// <summary>
    /// ALiBi slopes. With n the largest power of two ≤ <paramref name="heads"/>: <c>2^(−8k/n)</c> for k = 1..n, then,
    /// for the remaining heads, every other slope of the 2n sequence: <c>2^(−4(2m+1)/n)</c> for m = 0..heads−n−1.
    /// </summary>
    public static double[] Slopes(int heads)
    {
        if (heads <= 0) throw new ArgumentOutOfRangeException(nameof(heads), heads, "head count must be positive");
        int n = 1;
        while (n * 2 <= heads) n *= 2;
        var slopes = new double[heads];
        for (int k = 1; k <= n; k++) slopes[k - 1] = Math.Pow(2, -8.0 * k / n);
        for (int m = 0; m < heads - n; m++) slopes[n + m] = Math.Pow(2, -4.0 * (2 * m + 1) / n);
        return slopes;
    }

    /// <summary>
    /// The bias for <paramref name="queryLength"/> queries that are the last rows of a <paramref name="keyLength"/>
    /// causal sequence (the KV-cache case; equal lengths for training): float32 <c>[heads, q, k]</c>.
    /// </summary>
    public static Tensor Bias(int heads, long queryLength, long keyLength, Device? device = null)
    {
        if (queryLength > keyLength)
            throw new ArgumentException($"query length {queryLength} exceeds key length {keyLength}");
        using var scope = NewDisposeScope();
        var i = arange(keyLength - queryLength, keyLength, ScalarType.Float32, device).unsqueeze(1);
        var j = arange(0, keyLength, ScalarType.Float32, device).unsqueeze(0);
        var dist = i - j; // [q, k]
        var slopes = tensor(Slopes(heads), ScalarType.Float32, device).view(heads, 1, 1);
        var bias = -slopes * dist.clamp_min(0).sqrt().unsqueeze(0);
        var future = (dist < 0).unsqueeze(0);
        return bias.masked_fill(future, float.NegativeInfinity).MoveToOuterDisposeScope();
    }
}
