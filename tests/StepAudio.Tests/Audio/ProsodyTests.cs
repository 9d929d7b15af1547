using StepAudio.Audio;
using static TorchSharp.torch;

namespace StepAudio.Tests.Audio;

public class ProsodyTests
{
    /// <summary>A tone with <paramref name="harmonics"/> 1/h partials; f(t) from <paramref name="freq"/> (Hz at seconds t).</summary>
    static float[] Tone(Func<double, double> freq, double seconds, int rate, int harmonics = 1, double amplitude = 0.3,
        double noiseRms = 0)
    {
        var x = new float[(int)(seconds * rate)];
        var rng = new Random(5);
        double phase = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double s = 0;
            for (int h = 1; h <= harmonics; h++) s += Math.Sin(h * phase) / h;
            x[i] = (float)(amplitude * s + noiseRms * Math.Sqrt(3) * (rng.NextDouble() * 2 - 1));
            phase += 2 * Math.PI * freq((double)i / rate) / rate;
        }
        return x;
    }

    static IEnumerable<int> Interior(ProsodyContour c) =>
        Enumerable.Range(0, c.Frames).Where(k => c.Times[k] > 0.05 && c.Times[k] < c.Times[^1] - 0.05);

    [Theory]
    [InlineData(80, 24000, 1, 0)]
    [InlineData(123.4, 24000, 5, 0)]
    [InlineData(200, 16000, 5, 0)]
    [InlineData(400, 24000, 1, 0)]
    [InlineData(400, 44100, 5, 0)]
    [InlineData(150, 24000, 5, 0.03)]   // white noise 20 dB below the tone
    public void Tones_of_known_pitch_are_voiced_within_10_cents(double f0, int rate, int harmonics, double noise)
    {
        var c = Prosody.Analyze(AudioClip.Mono(Tone(_ => f0, 1, rate, harmonics, noiseRms: noise), rate));
        var frames = Interior(c).ToList();
        Assert.True(frames.Count > 40);
        Assert.All(frames, k => Assert.True(c.IsVoiced(k) && Math.Abs(1200 * Math.Log2(c.F0[k] / f0)) < 10,
            $"frame {k}: {c.F0[k]} Hz for {f0} Hz"));
        Assert.Equal(f0, c.Summarize().MedianF0, f0 * 0.005);
    }

    [Fact]
    public void A_glide_gives_its_range_in_semitones_and_the_energy_of_a_sine()
    {
        // 100 → 200 Hz exponentially over 2 s: p5–p95 of the frames spans 90 % of an octave.
        var x = Tone(t => 100 * Math.Pow(2, t / 2), 2, 24000, amplitude: 0.5);
        var c = Prosody.Analyze(AudioClip.Mono(x, 24000));
        var s = c.Summarize();
        Assert.Equal(0.9 * 12, s.F0RangeSemitones, 0.4);
        Assert.Equal(Math.Pow(2, 0.5) * 100, s.MedianF0, 2.0);
        Assert.Equal(1, s.VoicedShare, 0.02);
        Assert.All(Interior(c), k => Assert.Equal(20 * Math.Log10(0.5 / Math.Sqrt(2)), c.EnergyDb[k], 0.2));
        Assert.Equal(1, s.VoicedOnsetsPerSecond * s.ActiveSeconds);   // one unbroken voiced stretch
    }

    [Fact]
    public void White_noise_is_unvoiced()
    {
        var rng = new Random(11);
        var x = new float[24000];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(0.2 * (rng.NextDouble() * 2 - 1));
        var c = Prosody.Analyze(AudioClip.Mono(x, 24000));
        Assert.True(Enumerable.Range(0, c.Frames).Count(c.IsVoiced) <= c.Frames / 20, "more than 5 % of noise frames voiced");
        Assert.True(Enumerable.Range(0, c.Frames).All(c.IsActive));
        Assert.True(c.Summarize().VoicedShare <= 0.05);
    }

    [Fact]
    public void A_silent_clip_has_no_pitch_and_floor_energy()
    {
        var c = Prosody.Analyze(AudioClip.Mono(new float[12000], 24000));
        Assert.Equal(25, c.Frames);
        Assert.All(Enumerable.Range(0, c.Frames), k => Assert.False(c.IsVoiced(k) || c.IsActive(k)));
        Assert.All(c.EnergyDb, e => Assert.Equal(-100, e));
        var s = c.Summarize();
        Assert.True(double.IsNaN(s.MedianF0) && double.IsNaN(s.F0RangeSemitones));
        Assert.Equal((0.0, 0.0, -100.0, 0.0), (s.VoicedShare, s.ActiveSeconds, s.MeanEnergyDb, s.VoicedOnsetsPerSecond));
    }

    [Theory]
    [InlineData(24000, 24000)]
    [InlineData(24000, 24479)]
    [InlineData(24000, 721)]
    [InlineData(16000, 16000)]
    [InlineData(16000, 16333)]
    [InlineData(22050, 30001)]
    public void Frames_are_the_columns_of_the_24k_mel(int rate, int samples)
    {
        using var scope = NewDisposeScope();
        var x = Tone(_ => 150, (double)samples / rate + 1e-9, rate);
        Assert.Equal(samples, x.Length);
        var at24 = rate == 24000 ? x : Resampler.Resample(x, rate, 24000);
        using var mel = new MelSpectrogram();
        long columns = mel.Compute(at24).shape[1];
        var c = Prosody.Analyze(AudioClip.Mono(x, rate));
        Assert.Equal(columns, c.Frames);
        for (int k = 0; k < c.Frames; k++) Assert.Equal((k + 0.5) * 0.02, c.Times[k], 9);   // hop 480 at 24 kHz
    }

    [Fact]
    public void Compare_reports_a_transposition_and_pads_the_shorter_contour()
    {
        var target = AudioClip.Mono(Tone(_ => 200, 1, 24000, 5), 24000);
        var generated = AudioClip.Mono(Tone(_ => 200 * Math.Pow(2, 1 / 12.0), 1.2, 24000, 5), 24000);
        var cmp = Prosody.Compare(target, generated);
        Assert.Equal(60, cmp.Times.Length);
        Assert.Equal(60, cmp.GeneratedF0.Length);
        Assert.Equal(60, cmp.TargetF0.Length);
        Assert.True(double.IsNaN(cmp.TargetF0[55]) && double.IsNaN(cmp.TargetEnergyDb[55]) && !double.IsNaN(cmp.GeneratedF0[55]));
        Assert.Equal(100, cmp.MeanOffsetCents, 3.0);
        Assert.Equal(100, cmp.F0RmseCents, 3.0);
        Assert.Equal(200 * (Math.Pow(2, 1 / 12.0) - 1), cmp.F0RmseHz, 0.5);
        Assert.True(cmp.VoicedInBoth >= 45);
        Assert.Equal(1, cmp.VoicingAgreement, 0.05);
        Assert.Equal(cmp.Generated.MedianF0 / cmp.Target.MedianF0, Math.Pow(2, 1 / 12.0), 0.003);
    }

    [Fact]
    public void Options_outside_the_usable_range_are_rejected()
    {
        var clip = AudioClip.Mono(new float[4000], 8000);
        Assert.Throws<ArgumentException>(() => Prosody.Analyze(clip, new ProsodyOptions(MinF0: 300, MaxF0: 200)));
        Assert.Throws<ArgumentException>(() => Prosody.Analyze(clip, new ProsodyOptions(YinThreshold: 1.5)));
        Assert.Throws<ArgumentException>(() => Prosody.Analyze(AudioClip.Mono(new float[400], 800)));
    }
}
