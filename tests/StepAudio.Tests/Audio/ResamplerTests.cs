using StepAudio.Audio;
using static TorchSharp.torch;

namespace StepAudio.Tests.Audio;

public class ResamplerTests
{
    [Theory]
    [InlineData(16000, 24000, 440.0)]
    [InlineData(22050, 24000, 440.0)]
    [InlineData(44100, 24000, 3000.0)]
    [InlineData(48000, 16000, 1000.0)]
    [InlineData(24000, 16000, 5000.0)]
    public void Sine_keeps_frequency_and_phase(int from, int to, double hz)
    {
        int n = from / 4;
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)Math.Sin(2 * Math.PI * hz * i / from);
        var y = Resampler.Resample(x, from, to);
        Assert.Equal((long)Math.Ceiling((double)n * to / from), y.Length);

        // Least-squares fit y ≈ a·sin(ωt) + b·cos(ωt) away from the zero-padded edges.
        int skip = 64;
        double ss = 0, cc = 0, sc = 0, ys = 0, yc = 0;
        for (int j = skip; j < y.Length - skip; j++)
        {
            double w = 2 * Math.PI * hz * j / to, s = Math.Sin(w), c = Math.Cos(w);
            ss += s * s; cc += c * c; sc += s * c; ys += y[j] * s; yc += y[j] * c;
        }
        double det = ss * cc - sc * sc, a = (ys * cc - yc * sc) / det, b = (yc * ss - ys * sc) / det;
        double delaySamples = -Math.Atan2(b, a) / (2 * Math.PI * hz) * to;
        Assert.InRange(Math.Sqrt(a * a + b * b), 0.995, 1.005);
        Assert.InRange(delaySamples, -0.01, 0.01);
        double maxErr = 0;
        for (int j = skip; j < y.Length - skip; j++)
            maxErr = Math.Max(maxErr, Math.Abs(y[j] - Math.Sin(2 * Math.PI * hz * j / to)));
        Assert.True(maxErr < 5e-3, $"{from}->{to}: max error to the analytic sine {maxErr:g3}");
    }

    [Theory]
    [InlineData(16000, 24000)]
    [InlineData(22050, 24000)]
    [InlineData(44100, 24000)]
    [InlineData(48000, 16000)]
    public void Length_is_ceil_of_n_times_ratio(int from, int to)
    {
        using var scope = NewDisposeScope();
        using var r = new Resampler(from, to);
        foreach (int n in new[] { 1, 2, 3, 7, 146, 147, 148, 1001 })
        {
            var y = r.Apply(zeros(2, n));
            Assert.Equal(new long[] { 2, (long)Math.Ceiling((double)n * to / from) }, y.shape);
        }
    }

    [Fact]
    public void Matches_torchaudio_24k_to_16k()
    {
        using var scope = NewDisposeScope();
        var io = AudioFixtures.TorchaudioResample();
        using var r = new Resampler(24000, 16000);
        Assert.Equal(10, r.Width);
        Assert.Equal(new long[] { 2, 1, 23 }, r.KernelTensor!.shape);
        Assert.True((r.KernelTensor - io["resample_kernel_transform"]).abs().max().item<float>() <= 1e-7f);
        Assert.True((r.KernelTensor - io["resample_kernel_functional"]).abs().max().item<float>() <= 2e-7f);
        foreach (var (input, expected) in new[] { ("prompt_wav", "wav16_resampled"), ("B.wav24", "B.wav16_resampled") })
        {
            var y = r.Apply(io[input]);
            Assert.Equal(io[expected].shape, y.shape);
            double diff = (y - io[expected]).abs().max().item<float>();
            Assert.True(diff <= 1e-5, $"{input}: max diff {diff:g3}");
        }
        // The float[] path is the same computation.
        var row = r.Apply(AudioFixtures.Row(io["B.wav24"]));
        Assert.Equal(AudioFixtures.Row(r.Apply(io["B.wav24"])), row);
    }

    [Fact]
    public void Equal_rates_copy_and_batch_dims_are_kept()
    {
        using var scope = NewDisposeScope();
        var x = new float[] { 0.1f, -0.2f, 0.3f };
        var y = Resampler.Resample(x, 16000, 16000);
        Assert.Equal(x, y);
        Assert.NotSame(x, y);
        using var r = new Resampler(48000, 24000);
        var batched = r.Apply(randn(2, 3, 480));
        Assert.Equal(new long[] { 2, 3, 240 }, batched.shape);
        Assert.Throws<ArgumentException>(() => new Resampler(0, 16000));
        Assert.Throws<ArgumentException>(() => r.Apply(zeros(4, ScalarType.Int64)));
    }

    [Fact]
    public void A_cached_resampler_first_used_inside_a_dispose_scope_outlives_it()
    {
        // SpeechFeatureExtractor builds a resampler on the first clip of a rate; a scope around that call must not take it.
        using var features = new StepAudio.Features.SpeechFeatureExtractor();
        var clip = AudioClip.Mono(Enumerable.Range(0, 22050).Select(i => (float)Math.Sin(i * 0.05)).ToArray(), 22050);
        using (NewDisposeScope()) features.Extract(clip);
        using var again = features.Extract(clip);
        Assert.Equal(80, again.shape[0]);
    }
}
