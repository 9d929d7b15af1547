using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// Every random draw of one flow-matching training step, made per sample, so tests and benches can inject them:
/// <paramref name="T"/> [B] ~ U(0,1); <paramref name="Z"/> [B, 80, T_mel] ~ N(0, I) (zero past each sample's length);
/// <paramref name="CfgKeep"/> [B] bool (false = drop mu, spks and cond, probability <c>training_cfg_rate</c>);
/// <paramref name="PromptLen"/> [B] int64 (ground-truth prefix frames copied into cond; 0 = none).
/// </summary>
public sealed record CfmDraws(Tensor T, Tensor Z, Tensor CfgKeep, Tensor PromptLen) : IDisposable
{
    /// <summary>
    /// Draws for samples with <paramref name="validLengths"/> frames, padded to <paramref name="maxLen"/>, as
    /// CosyVoice does per sample: no prompt with probability 1 − <c>prompt_probability</c>, else a prefix of
    /// randint(0, ⌊0.3·len⌋) frames (inclusive); t ~ U(0,1) (uniform: CosyVoice commit 1822c5c removed the cosine
    /// warp of the training t); keep the condition with probability 1 − <c>training_cfg_rate</c>; z per sample.
    /// </summary>
    public static CfmDraws Sample(Generator generator, IReadOnlyList<long> validLengths, long maxLen, CfmConfig config,
        int channels = 80)
    {
        int b = validLengths.Count;
        if (validLengths.Any(l => l < 0 || l > maxLen))
            throw new ArgumentException($"every valid length must be in [0, {maxLen}]", nameof(validLengths));
        var t = new float[b];
        var keep = new bool[b];
        var prompt = new long[b];
        var z = zeros(b, channels, maxLen);
        for (int i = 0; i < b; i++)
        {
            long len = validLengths[i];
            if (Uniform(generator) >= config.PromptProbability)
                prompt[i] = 0;
            else
            {
                long hi = (long)(config.MaxPromptFraction * len);
                prompt[i] = Math.Min(len, (long)Math.Floor(Uniform(generator) * (hi + 1)));
            }
            t[i] = (float)Uniform(generator);
            keep[i] = Uniform(generator) > config.TrainingCfgRate;
            if (len > 0)
            {
                using var zi = randn(new long[] { channels, len }, generator: generator);
                using var dst = z[i].narrow(1, 0, len);
                dst.copy_(zi);
            }
        }
        return new CfmDraws(tensor(t), z, tensor(keep), tensor(prompt));
    }

    static double Uniform(Generator g)
    {
        using var u = rand(new long[] { 1 }, generator: g, dtype: ScalarType.Float64);
        return u.item<double>();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        T.Dispose();
        Z.Dispose();
        CfgKeep.Dispose();
        PromptLen.Dispose();
    }
}
