using System.Runtime.CompilerServices;

namespace StepAudio.Audio;

/// <summary>
/// Pitch (F0) and energy contours for the data report and for target-vs-generated comparisons. Frames follow the
/// mel's grid (24 kHz, hop 480 = 20 ms by default), so a contour can be drawn over the mel column for column.
/// </summary>
public static class Prosody
{
    /// <summary>Rate (Hz) the pitch search decimates to, from above.</summary>
    const int PitchRate = 8000;

    /// <summary>
    /// Per-frame F0 (YIN, see <see cref="Yin"/>, on a 1 kHz low-passed copy decimated to ~8 kHz) and RMS energy (full
    /// band, over two hops) of the clip's mono downmix at its own rate, taken at the centres of the mel frames the clip
    /// would give after resampling to the mel rate.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loops run once per clip: skip tier-0
    public static ProsodyContour Analyze(AudioClip clip, ProsodyOptions? options = null)
    {
        var o = options ?? ProsodyOptions.Default;
        o.Validate();
        var mel = o.Grid;
        int rate = clip.SampleRate;
        if (rate <= 0) throw new ArgumentException($"sample rate must be positive, got {rate}");
        if (o.MaxF0 >= rate / 2.0) throw new ArgumentException($"MaxF0 {o.MaxF0} Hz is not below the Nyquist rate of {rate} Hz");
        var x = clip.ToMono();
        long atMelRate = ((long)x.Length * mel.SamplingRate + rate - 1) / rate;  // the Resampler's ceil(N·new/orig)
        int frames = mel.Frames((int)Math.Min(atMelRate, int.MaxValue));
        // Centre of mel frame k in the unpadded signal: the STFT frame starts at k·hop − padding.
        double offset = mel.Center ? -mel.Padding : mel.NFft / 2.0 - mel.Padding;

        // Zero-pad both ends so every window is full; prefix sums of x² give windowed energies in O(1).
        int rmsHalf = Math.Max(1, (int)Math.Round((double)mel.HopSize * rate / mel.SamplingRate));   // RMS over two hops
        var padded = new float[x.Length + 2 * rmsHalf];
        x.CopyTo(padded, rmsHalf);
        var energy = PrefixEnergy(padded);

        // YIN reads a low-passed copy: broadband noise blurs its dips (bench-prosody: 10 dB SNR sines at 80 Hz were
        // 99 % gross errors unfiltered). NWaves' Butterworth serves here; its ~0.3 ms delay is far below a frame.
        // Below the cutoff, ~8 kHz is plenty: decimating cuts YIN's O(lag²) cost 9× at 24 kHz.
        var low = LowPass(x, rate, o.LowPassHz);
        int factor = o.LowPassHz > 0 ? Math.Max(1, (int)Math.Min(rate / PitchRate, rate / (4 * o.LowPassHz))) : 1;
        double pitchRate = (double)rate / factor;
        var yin = new Yin(pitchRate, o.MinF0, o.MaxF0, o.YinThreshold);
        int half = yin.Span / 2, margin = yin.Span + 1;
        var dec = new float[(low.Length + factor - 1) / factor + 2 * margin];
        for (int i = 0, j = margin; i < low.Length; i += factor, j++) dec[j] = low[i];
        var decEnergy = PrefixEnergy(dec);

        var times = new double[frames];
        var f0 = new double[frames];
        var db = new double[frames];
        for (int k = 0; k < frames; k++)
        {
            double t = (k * mel.HopSize + offset) / mel.SamplingRate;
            times[k] = t;
            int centre = (int)Math.Round(t * rate) + rmsHalf;
            int lo = Math.Max(rmsHalf, centre - rmsHalf), hi = Math.Min(rmsHalf + x.Length, centre + rmsHalf);
            double ms = hi > lo ? (energy[hi] - energy[lo]) / (hi - lo) : 0;
            db[k] = ms > 1e-10 ? Math.Max(-100, 10 * Math.Log10(ms)) : -100;
            int at = Math.Clamp((int)Math.Round(t * pitchRate), 0, dec.Length - 2 * margin) + margin - half;
            f0[k] = db[k] < o.SilenceDb ? double.NaN : yin.Estimate(dec, at, decEnergy);
        }
        return new ProsodyContour(times, f0, db, o.SilenceDb);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static double[] PrefixEnergy(float[] x)
    {
        var e = new double[x.Length + 1];
        for (int i = 0; i < x.Length; i++) e[i + 1] = e[i] + (double)x[i] * x[i];
        return e;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static float[] LowPass(float[] x, int rate, double cutoffHz)
    {
        if (cutoffHz <= 0 || cutoffHz >= rate / 2.0) return x;
        var filter = new NWaves.Filters.Butterworth.LowPassFilter(cutoffHz / rate, 4);
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = filter.Process(x[i]);
        return y;
    }

    /// <summary>Analyzes both clips with the same options and compares them (see the contour overload).</summary>
    public static ProsodyComparison Compare(AudioClip target, AudioClip generated, ProsodyOptions? options = null) =>
        Compare(Analyze(target, options), Analyze(generated, options));

    /// <summary>
    /// Puts two contours on one time axis (frame k of each; the shorter is padded with NaN) and measures how far the
    /// generated pitch is from the target's on frames voiced in both. No time warping: for clips of different speed
    /// the RMSE mixes timing and pitch, and the medians are the fairer comparison.
    /// </summary>
    public static ProsodyComparison Compare(ProsodyContour target, ProsodyContour generated)
    {
        var longer = target.Frames >= generated.Frames ? target : generated;
        int n = longer.Frames, common = Math.Min(target.Frames, generated.Frames);
        double sumC = 0, sumC2 = 0, sumHz2 = 0;
        int both = 0, agree = 0;
        for (int k = 0; k < common; k++)
        {
            bool vt = target.IsVoiced(k), vg = generated.IsVoiced(k);
            if (vt == vg) agree++;
            if (!vt || !vg) continue;
            double cents = 1200 * Math.Log2(generated.F0[k] / target.F0[k]);
            sumC += cents;
            sumC2 += cents * cents;
            double hz = generated.F0[k] - target.F0[k];
            sumHz2 += hz * hz;
            both++;
        }
        return new ProsodyComparison((double[])longer.Times.Clone(), Padded(target.F0, n), Padded(generated.F0, n),
            Padded(target.EnergyDb, n), Padded(generated.EnergyDb, n), both,
            both == 0 ? double.NaN : Math.Sqrt(sumC2 / both), both == 0 ? double.NaN : Math.Sqrt(sumHz2 / both),
            both == 0 ? double.NaN : sumC / both, common == 0 ? double.NaN : (double)agree / common,
            target.Summarize(), generated.Summarize());
    }

    static double[] Padded(double[] values, int n)
    {
        var r = new double[n];
        Array.Fill(r, double.NaN);
        values.AsSpan().CopyTo(r);
        return r;
    }
}

/// <summary>Two contours on one time axis and how far apart their pitch is (see <see cref="Prosody.Compare(ProsodyContour, ProsodyContour)"/>).</summary>
/// <param name="Times">Frame centres in seconds (the longer contour's).</param>
/// <param name="TargetF0">Target pitch, Hz, NaN where unvoiced or past its end.</param>
/// <param name="GeneratedF0">Generated pitch, Hz, NaN where unvoiced or past its end.</param>
/// <param name="TargetEnergyDb">Target frame RMS, dBFS, NaN past its end.</param>
/// <param name="GeneratedEnergyDb">Generated frame RMS, dBFS, NaN past its end.</param>
/// <param name="VoicedInBoth">Frames with a pitch in both, over which the errors are taken.</param>
/// <param name="F0RmseCents">RMS pitch difference in cents (NaN when no frame is voiced in both).</param>
/// <param name="F0RmseHz">RMS pitch difference in Hz.</param>
/// <param name="MeanOffsetCents">Mean of generated − target in cents: a whole-clip transposition shows here.</param>
/// <param name="VoicingAgreement">Share of the common frames where both agree on voiced or unvoiced.</param>
/// <param name="Target">Clip statistics of the target.</param>
/// <param name="Generated">Clip statistics of the generated clip.</param>
public sealed record ProsodyComparison(double[] Times, double[] TargetF0, double[] GeneratedF0,
    double[] TargetEnergyDb, double[] GeneratedEnergyDb, int VoicedInBoth, double F0RmseCents, double F0RmseHz,
    double MeanOffsetCents, double VoicingAgreement, ProsodySummary Target, ProsodySummary Generated);
