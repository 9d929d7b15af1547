using StepAudio.Audio;
using StepAudio.Evaluation;
using StepAudio.Features;
using StepAudio.Nn;

namespace StepAudio.Tests.Evaluation;

/// <summary>The evaluation metrics on inputs whose answers are known.</summary>
public class SpeechMetricsTests
{
    const int Bins = 80;

    /// <summary>A smooth, time-varying log-mel [80, frames] (different frames differ).</summary>
    static float[,] VaryingMel(int frames, int seed = 1)
    {
        var rng = new Random(seed);
        var phase = Enumerable.Range(0, 6).Select(_ => rng.NextDouble() * 2 * Math.PI).ToArray();
        var mel = new float[Bins, frames];
        for (int t = 0; t < frames; t++)
            for (int n = 0; n < Bins; n++)
                mel[n, t] = (float)(-4 + 2 * Math.Sin(0.11 * n + 0.3 * t + phase[0]) + Math.Cos(0.05 * n * (1 + Math.Sin(0.2 * t + phase[1]))));
        return mel;
    }

    /// <summary>The same log-mel frame repeated.</summary>
    static float[,] ConstantMel(int frames, Func<int, double> bin)
    {
        var mel = new float[Bins, frames];
        for (int t = 0; t < frames; t++)
            for (int n = 0; n < Bins; n++) mel[n, t] = (float)bin(n);
        return mel;
    }

    /// <summary>Bin n of the k-th cosine across the bins; adding δ times it to a frame moves c_k by δ/2 (1/N scaling).</summary>
    static double Cosine(int k, int n) => Math.Cos(Math.PI * k * (n + 0.5) / Bins);

    [Fact]
    public void IdenticalMels_HaveZeroDistortion()
    {
        var mel = VaryingMel(60);
        var mcd = SpeechMetrics.Mcd(mel, (float[,])mel.Clone());
        Assert.Equal(0, mcd.Db, 9);
        Assert.Equal(Enumerable.Range(0, 60).Select(i => (i, i)), mcd.Path);
    }

    [Theory]
    [InlineData(1, 0.5)]
    [InlineData(1, 1.0)]     // twice the offset, twice the distortion
    [InlineData(13, 0.5)]    // c13 is the last cepstrum counted
    public void AnOffsetOnOneCepstrum_CostsTheDbFactorTimesTheOffset(int k, double delta)
    {
        Func<int, double> frame = n => -5 + Math.Sin(0.2 * n);
        var a = ConstantMel(20, frame);
        var b = ConstantMel(20, n => frame(n) + delta * Cosine(k, n));
        double expected = 10 * Math.Sqrt(2) / Math.Log(10) * delta / 2;   // Δc_k = δ/2: 3.07 dB per unit of δ
        Assert.Equal(expected, SpeechMetrics.Mcd(a, b).Db, 3);
    }

    [Theory]
    [InlineData(0)]      // a level change: c0 only
    [InlineData(14)]     // beyond the 13 cepstra compared
    public void OffsetsOutsideC1ToC13_AreNotCounted(int k)
    {
        Func<int, double> frame = n => -5 + Math.Sin(0.2 * n);
        var b = ConstantMel(20, n => frame(n) + 1.5 * Cosine(k, n));
        Assert.Equal(0, SpeechMetrics.Mcd(ConstantMel(20, frame), b).Db, 4);
    }

    [Fact]
    public void ATimeStretchedCopy_AlignsToZeroDistortion_WhereFrameByFrameDoesNot()
    {
        var a = VaryingMel(50);
        var b = new float[Bins, 100];
        for (int t = 0; t < 100; t++)
            for (int n = 0; n < Bins; n++) b[n, t] = a[n, t / 2];
        var mcd = SpeechMetrics.Mcd(a, b);
        Assert.True(mcd.Db < 1e-6, $"DTW should absorb a 2× stretch, got {mcd.Db} dB");
        Assert.Equal(100, mcd.Path.Count);
        Assert.All(mcd.Path, p => Assert.Equal(p.Target, p.Generated / 2));
        // Without the alignment the same pair is far apart: the test would notice a DTW that did nothing.
        var ca = SpeechMetrics.MelCepstra(a);
        var cb = SpeechMetrics.MelCepstra(b);
        Assert.True(Enumerable.Range(0, 50).Average(t => SpeechMetrics.Distance(ca[t], cb[t])) * SpeechMetrics.DbFactor > 1);
    }

    [Fact]
    public void Cosine_OfIdenticalScaledOppositeAndOrthogonalEmbeddings()
    {
        var rng = new Random(3);
        var e = Enumerable.Range(0, 192).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        Assert.Equal(1, SpeechMetrics.Cosine(e, e), 6);
        Assert.Equal(1, SpeechMetrics.Cosine(e, e.Select(x => 3 * x).ToArray()), 6);
        Assert.Equal(-1, SpeechMetrics.Cosine(e, e.Select(x => -x).ToArray()), 6);
        Assert.Equal(0, SpeechMetrics.Cosine(new float[] { 1, 0, 0 }, new float[] { 0, 2, 0 }), 9);
        Assert.True(double.IsNaN(SpeechMetrics.Cosine(e, new float[192])));
    }

    static AudioClip Tone(double hz, double seconds = 2, int rate = 24000) =>
        AudioClip.Mono(Enumerable.Range(0, (int)(seconds * rate)).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * hz * i / rate))).ToArray(), rate);

    static (double Cents, int Voiced) F0Rmse(AudioClip target, AudioClip generated)
    {
        using var features = new SpeechFeatureExtractor();
        using var mt = features.Extract(target);
        using var mg = features.Extract(generated);
        var mcd = SpeechMetrics.Mcd(TensorArrays.ToFloat2D(mt), TensorArrays.ToFloat2D(mg));
        return SpeechMetrics.F0RmseCents(Prosody.Analyze(target), Prosody.Analyze(generated), mcd.Path);
    }

    [Fact]
    public void F0Rmse_OfAToneAgainstItselfUpASemitone_IsAHundredCents()
    {
        var (cents, voiced) = F0Rmse(Tone(200), Tone(200 * Math.Pow(2, 1 / 12.0)));
        Assert.True(voiced > 80, $"a 2 s tone should be voiced on most of its ~100 frames, got {voiced}");
        Assert.InRange(cents, 97, 103);
        var (same, _) = F0Rmse(Tone(200), Tone(200));
        Assert.InRange(same, 0, 3);
    }

    [Fact]
    public void Dtw_FindsTheCheapestMonotonePath_FromFirstToLastFrames()
    {
        var path = Dtw.Align(3, 5, (i, j) => Math.Abs(i * 2 - j));
        Assert.Equal((0, 0), path[0]);
        Assert.Equal((2, 4), path[^1]);
        Assert.All(path.Zip(path.Skip(1)), s => Assert.Contains((s.Second.A - s.First.A, s.Second.B - s.First.B), new[] { (1, 0), (0, 1), (1, 1) }));
        Assert.Equal(2, path.Sum(p => Math.Abs(p.A * 2 - p.B)));   // the cheapest: two off-line cells are unavoidable
        Assert.Throws<ArgumentException>(() => Dtw.Align(0, 3, (_, _) => 0));
    }
}
