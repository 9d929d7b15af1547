using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Vocoder;

/// <summary>
/// HiFT's harmonic-plus-noise source (hifigan/generator.py <c>SourceModuleHnNSF2</c>, the 24 kHz variant of
/// <c>SourceModuleHnNSF</c>): the <see cref="SineGen2"/> harmonics merged by <c>tanh(l_linear(·))</c> into one
/// excitation. <c>f0 [B, L, 1] → source [B, L, 1]</c>.
/// </summary>
public sealed class SourceModuleHnNSF2 : nn.Module
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's
    readonly SineGen2 l_sin_gen;
    readonly Linear l_linear;
#pragma warning restore IDE1006

    /// <summary>Upstream's <c>SourceModuleHnNSF2(sampling_rate, upsample_scale, harmonic_num, sine_amp, add_noise_std, voiced_threshod)</c>.</summary>
    public SourceModuleHnNSF2(int samplingRate, int upsampleScale, int harmonicNum, double sineAmp, double addNoiseStd,
        double voicedThreshold) : base(nameof(SourceModuleHnNSF2))
    {
        l_sin_gen = new SineGen2(samplingRate, upsampleScale, harmonicNum, sineAmp, addNoiseStd, voicedThreshold);
        l_linear = nn.Linear(harmonicNum + 1, 1);
        RegisterComponents();
    }

    /// <summary>Number of sines the generator makes (the last dimension of the sine-noise draw).</summary>
    public int Dim => l_sin_gen.Dim;

    /// <summary>The merged excitation <c>[B, L, 1]</c> from <c>f0 [B, L, 1]</c> and the two draws.</summary>
    public Tensor forward(Tensor f0, Tensor randIni, Tensor sineNoise)
    {
        using var scope = NewDisposeScope();
        var (sines, _) = l_sin_gen.forward(f0, randIni, sineNoise);
        return l_linear.call(sines).tanh().MoveToOuterDisposeScope();
    }
}
