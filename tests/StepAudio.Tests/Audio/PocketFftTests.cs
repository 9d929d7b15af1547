using StepAudio.Audio;

namespace StepAudio.Tests.Audio;

public class PocketFftTests
{
    // One size per code path: radf2, radf3, radf4, radf5, radfg (7, 11, 13, 101), ido > 1 in every pass, n = 1.
    public static TheoryData<int> Sizes => new() { 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 16, 25, 30, 77, 121, 143, 202, 400, 480, 1920 };

    static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    static (double[] Re, double[] Im) NaiveDft(float[] x)
    {
        int n = x.Length, bins = n / 2 + 1;
        var re = new double[bins];
        var im = new double[bins];
        for (int k = 0; k < bins; k++)
            for (int j = 0; j < n; j++)
            {
                // (j·k) mod n keeps the angle small, so the reference itself is accurate to ~1e-15.
                double a = -2 * Math.PI * ((long)j * k % n) / n;
                re[k] += x[j] * Math.Cos(a);
                im[k] += x[j] * Math.Sin(a);
            }
        return (re, im);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Matches_a_float64_dft(int n)
    {
        var x = Random(n, n);
        var (re, im) = new PocketFft(n).RealForward(x);
        var (rRe, rIm) = NaiveDft(x);
        Assert.Equal(n / 2 + 1, re.Length);
        double scale = 0, err = 0;
        for (int k = 0; k < re.Length; k++)
        {
            scale = Math.Max(scale, Math.Max(Math.Abs(rRe[k]), Math.Abs(rIm[k])));
            err = Math.Max(err, Math.Max(Math.Abs(re[k] - rRe[k]), Math.Abs(im[k] - rIm[k])));
        }
        // float32 FFT roundoff grows like ε·log n; a wrong twiddle or index is O(1).
        Assert.True(err <= 2e-6 * scale, $"n={n}: max error {err:g3} vs max |X| {scale:g3}");
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Impulse_at_zero_is_exactly_flat(int n)
    {
        var x = new float[n];
        x[0] = 1;
        var (re, im) = new PocketFft(n).RealForward(x);
        Assert.All(re, v => Assert.Equal(1f, v));
        Assert.All(im, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    [InlineData(12)]
    [InlineData(48)]
    [InlineData(512)]
    public void Dc_is_exact_for_radix_2_3_4(int n)
    {
        // radf2/3/4 only add, subtract and halve equal values here, so every non-DC bin is exactly 0.
        var x = Enumerable.Repeat(0.75f, n).ToArray();
        var (re, im) = new PocketFft(n).RealForward(x);
        Assert.Equal(0.75f * n, re[0]);
        for (int k = 1; k < re.Length; k++)
        {
            Assert.Equal(0f, re[k]);
            Assert.Equal(0f, im[k]);
        }
    }

    [Theory]
    [InlineData(400)]
    [InlineData(77)]
    [InlineData(480)]
    public void Parseval(int n)
    {
        var x = Random(n, 7 * n);
        var (re, im) = new PocketFft(n).RealForward(x);
        double time = x.Sum(v => (double)v * v), freq = 0;
        for (int k = 0; k < re.Length; k++)
        {
            double p = (double)re[k] * re[k] + (double)im[k] * im[k];
            bool unpaired = k == 0 || (n % 2 == 0 && k == n / 2);
            freq += unpaired ? p : 2 * p;
        }
        Assert.Equal(time, freq / n, time * 1e-6);
        Assert.Equal(0f, im[0]);
        if (n % 2 == 0) Assert.Equal(0f, im[^1]);
    }

    [Fact]
    public void Factors_follow_pocketfft()
    {
        // 4s first, one 2 swapped to the front, then odd factors ascending; the forward pass runs them last to first.
        Assert.Equal(new[] { 4, 4, 5, 5 }, new PocketFft(400).Factors);
        Assert.Equal(new[] { 2, 4, 4, 3, 5 }, new PocketFft(480).Factors);
        Assert.Equal(new[] { 2, 4 }, new PocketFft(8).Factors);
        Assert.Equal(new[] { 7, 11 }, new PocketFft(77).Factors);
        Assert.Empty(new PocketFft(1).Factors);
    }

    // torch 1.13.0 (Debian python3-torch, pocketfft) torch.fft.rfft of float32(sin(0.37·j² + 0.1·j)): exact float32
    // values, so any change of operation order, twiddle or constant shows up here even where a DFT tolerance hides it.
    public static TheoryData<int, int, float, float> TorchBins => new()
    {
        { 400, 0, 19.239681f, 0f }, { 400, 1, 10.078342f, 11.449764f }, { 400, 2, -1.0669279f, 3.6070087f },
        { 400, 37, -3.5899923f, -12.577909f }, { 400, 100, -10.098483f, 6.0747666f }, { 400, 133, -0.7182293f, -19.914835f },
        { 400, 199, -2.6741145f, 6.8964458f }, { 400, 200, 2.0694494f, 0f },
        { 480, 0, 20.310234f, 0f }, { 480, 1, -1.4415044f, 14.614437f }, { 480, 59, 1.882637f, -3.7862227f },
        { 480, 160, -4.1667795f, -18.580421f }, { 480, 239, -3.982317f, 6.320341f }, { 480, 240, -0.99648f, 0f },
        { 77, 0, 3.075469f, 0f }, { 77, 1, 5.042861f, -1.5213591f }, { 77, 5, 0.19449782f, -0.15936181f },
        { 77, 13, 0.9743781f, -1.7153873f }, { 77, 21, -10.775393f, 4.1363893f }, { 77, 38, -2.6770678f, -5.975422f },
        { 202, 0, 3.4892921f, 0f }, { 202, 1, 3.8249416f, -0.473148f }, { 202, 50, -2.4362946f, -7.147483f },
        { 202, 100, -21.7386f, -3.2301555f }, { 202, 101, -2.0833187f, 0f },
    };

    [Theory]
    [MemberData(nameof(TorchBins))]
    public void Bit_identical_to_torch_pocketfft(int n, int bin, float re, float im)
    {
        var x = new float[n];
        for (int j = 0; j < n; j++) x[j] = (float)Math.Sin(0.37 * j * j + 0.1 * j);
        var (gotRe, gotIm) = new PocketFft(n).RealForward(x);
        Assert.Equal(re, gotRe[bin]);
        Assert.Equal(im, gotIm[bin]);
    }

    [Fact]
    public void Rejects_bad_lengths()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PocketFft(0));
        var fft = new PocketFft(8);
        Assert.Throws<ArgumentException>(() => fft.RealForward(new float[7]));
        Assert.Throws<ArgumentException>(() => fft.Forward(new float[8], new float[4], new float[5]));
    }
}
