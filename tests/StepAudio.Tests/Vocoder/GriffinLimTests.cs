using StepAudio.Audio;
using StepAudio.Vocoder;
using static TorchSharp.torch;

namespace StepAudio.Tests.Vocoder;

/// <summary>Griffin-Lim inverts a speech-like clip's log-mel so that re-analysis comes back close to it.</summary>
public sealed class GriffinLimTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>
    /// 1.2 s at 24 kHz of a voiced, speech-like signal: F0 gliding 110 → 190 Hz, 40 harmonics under two moving
    /// formant peaks, a 4 Hz syllable envelope and a little noise.
    /// </summary>
    static float[] SpeechLike(int rate = 24000, double seconds = 1.2)
    {
        int n = (int)(rate * seconds);
        var x = new float[n];
        var rng = new Random(3);
        double phase = 0;
        for (int i = 0; i < n; i++)
        {
            double t = (double)i / rate;
            double f0 = 110 + 80 * t / seconds;
            phase += 2 * Math.PI * f0 / rate;
            double f1 = 500 + 300 * Math.Sin(2 * Math.PI * 1.5 * t), f2 = 1500 + 600 * Math.Cos(2 * Math.PI * 0.9 * t);
            double s = 0;
            for (int k = 1; k <= 40; k++)
            {
                double f = k * f0;
                if (f > 7500) break;
                double env = Math.Exp(-Math.Pow((f - f1) / 200, 2)) + 0.6 * Math.Exp(-Math.Pow((f - f2) / 300, 2)) + 0.05;
                s += env / Math.Sqrt(k) * Math.Sin(k * phase);
            }
            double syllable = 0.55 + 0.45 * Math.Sin(2 * Math.PI * 4 * t);
            x[i] = (float)(0.15 * syllable * s + 0.002 * (rng.NextDouble() * 2 - 1));
        }
        return x;
    }

    static double MeanAbsLogMelDiff(MelSpectrogram mel, Tensor a, Tensor b) =>
        (mel.Compute(a) - mel.Compute(b)).abs().mean().item<float>();

    [Fact]
    public void InvertedMelReanalysesCloseToTheOriginal()
    {
        using var scope = NewDisposeScope();
        using var mel = new MelSpectrogram();
        var samples = SpeechLike();
        var wav = tensor(samples, [1, samples.Length]);
        var logMel = mel.Compute(wav);                                           // [1, 80, T]
        using var gl = new GriffinLim(iterations: 32, seed: 1);
        var rebuilt = gl.Synthesize(logMel);
        Assert.Equal(new[] { 1L, logMel.shape[2] * 480 }, rebuilt.shape);
        Assert.Equal(24000, gl.SampleRate);

        using var randomPhase = new GriffinLim(iterations: 0, seed: 1);
        double dGl = MeanAbsLogMelDiff(mel, rebuilt, wav);
        double dRandom = MeanAbsLogMelDiff(mel, randomPhase.Synthesize(logMel), wav);
        output.WriteLine($"mean |log-mel diff|: griffin-lim 32 it {dGl:F4}, random phase {dRandom:F4}");
        // Measured: 0.286 after 32 iterations (0.280 after 100), 0.729 with random phase; the pseudo-inverse magnitude
        // alone, re-analysed with its true phase, is already 0.201 off (clamping its negative lobes), so the bound
        // leaves ~20% headroom above what is reached.
        Assert.True(dGl < 0.35, $"mean |log-mel difference| {dGl:F4} ≥ 0.35");
        Assert.True(dGl < 0.5 * dRandom, $"Griffin-Lim {dGl:F4} is not clearly better than random phase {dRandom:F4}");
    }

    [Fact]
    public void MagnitudeIsNonNegativeAndBadShapesAreNamed()
    {
        using var scope = NewDisposeScope();
        using var gl = new GriffinLim(iterations: 2);
        var mag = gl.Magnitude(randn(2, 80, 5));
        Assert.Equal(new long[] { 2, 961, 5 }, mag.shape);
        Assert.True(mag.min().item<float>() >= 0);
        var e = Assert.ThrowsAny<ArgumentException>(() => gl.Synthesize(randn(2, 81, 5)));
        Assert.Contains("[batch, 80, frames]", e.Message);
    }
}
