using System.Diagnostics;
using NWaves.Features;
using NWaves.Signals;
using StepAudio.Audio;
using StepAudio.Data;

namespace StepAudio.Bench;

/// <summary>
/// Measures pitch estimators on synthetic tones of known F0 and on a folder of WAVs: ours (<see cref="Prosody"/>) and
/// NWaves' <c>Pitch.FromYin</c> and <c>Pitch.FromAutoCorrelation</c> (what its <c>PitchExtractor</c> runs), on the same
/// 20 ms frame grid. Also compares silence trimming: ours (per-sample level, <see cref="AudioClipStats"/>) against
/// frame RMS from NWaves' <c>DiscreteSignal.Rms</c> (NWaves has no VAD).
/// </summary>
public static class ProsodyBench
{
    /// <summary>The estimators compared.</summary>
    public static readonly string[] Methods = { "ours-yin", "nwaves-yin", "nwaves-acf" };

    /// <summary>A pitch error above this many cents is gross (an octave or a wrong harmonic, not jitter).</summary>
    public const double GrossCents = 50;

    const int Rate = 24000;
    const double MinF0 = 60, MaxF0 = 500;

    /// <summary>
    /// A 24 kHz tone at <paramref name="f0"/> Hz (five 1/h harmonics when <paramref name="harmonic"/>), with ±50 cent
    /// 5.5 Hz vibrato when asked, plus white noise at <paramref name="snrDb"/> (∞ = none); returns the true F0 at each
    /// sample too.
    /// </summary>
    public static (float[] Samples, double[] TrueF0) Tone(double f0, double seconds, bool harmonic, bool vibrato,
        double snrDb, int seed = 1)
    {
        int n = (int)(seconds * Rate);
        var x = new float[n];
        var truth = new double[n];
        double phase = 0, power = 0;
        for (int i = 0; i < n; i++)
        {
            double t = (double)i / Rate;
            double f = vibrato ? f0 * Math.Pow(2, 50 / 1200.0 * Math.Sin(2 * Math.PI * 5.5 * t)) : f0;
            truth[i] = f;
            double s = 0;
            for (int h = 1; h <= (harmonic ? 5 : 1); h++) s += Math.Sin(h * phase) / h;
            phase += 2 * Math.PI * f / Rate;
            x[i] = (float)(0.3 * s);
            power += x[i] * x[i];
        }
        if (!double.IsPositiveInfinity(snrDb))
        {
            var rng = new Random(seed);
            double sigma = Math.Sqrt(power / n / Math.Pow(10, snrDb / 10) * 3);   // uniform noise: variance a²/3
            for (int i = 0; i < n; i++) x[i] += (float)(sigma * (rng.NextDouble() * 2 - 1));
        }
        return (x, truth);
    }

    /// <summary>F0 per 20 ms frame (NaN = unvoiced) by <paramref name="method"/>, on <see cref="Prosody"/>'s frame grid.</summary>
    public static double[] Track(string method, AudioClip clip) => Track(method, clip, Prosody.Analyze(clip).Times);

    /// <summary>F0 per frame centred at <paramref name="times"/>; NWaves' methods only read the times (so they time alone).</summary>
    static double[] Track(string method, AudioClip clip, double[] times)
    {
        if (method == "ours-yin") return Prosody.Analyze(clip).F0;
        var x = clip.ToMono();
        int sr = clip.SampleRate;
        int frame = 2 * (int)Math.Ceiling(sr / MinF0) + 2;   // FromYin searches lags up to half the frame
        var f0 = new double[times.Length];
        for (int k = 0; k < f0.Length; k++)
        {
            int start = (int)Math.Round(times[k] * sr) - frame / 2;
            if (start < 0 || start + frame > x.Length) { f0[k] = double.NaN; continue; }
            float p = method == "nwaves-yin"
                ? Pitch.FromYin(x, sr, start, start + frame, (float)MinF0, (float)MaxF0, 0.2f)
                : Pitch.FromAutoCorrelation(x, sr, start, start + frame, (float)MinF0, (float)MaxF0);
            f0[k] = p > 0 ? p : double.NaN;
        }
        return f0;
    }

    /// <summary>Fastest of <paramref name="repeats"/> runs, ms per 10 s of audio.</summary>
    public static double MsPer10s(string method, AudioClip clip, int repeats)
    {
        double best = double.MaxValue;
        var times = Prosody.Analyze(clip).Times;
        for (int i = -1; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            Track(method, clip, times);
            if (i >= 0) best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        }
        return best * 10 / clip.Duration;
    }

    /// <summary>Accuracy of one method on one synthetic case: frames away from the ends are judged.</summary>
    public static ToneScore Score(string method, double f0, bool harmonic, bool vibrato, double snrDb)
    {
        var (x, truth) = Tone(f0, 2, harmonic, vibrato, snrDb);
        var clip = AudioClip.Mono(x, Rate);
        var est = Track(method, clip);
        var times = Prosody.Analyze(clip).Times;
        int judged = 0, missed = 0, gross = 0, fine = 0;
        double cents = 0;
        for (int k = 0; k < est.Length; k++)
        {
            if (times[k] < 0.1 || times[k] > 1.9) continue;
            judged++;
            if (double.IsNaN(est[k])) { missed++; continue; }
            double c = Math.Abs(1200 * Math.Log2(est[k] / truth[(int)(times[k] * Rate)]));
            if (c > GrossCents) gross++;
            else { fine++; cents += c; }
        }
        return new ToneScore(method, f0, harmonic, vibrato, snrDb, judged, missed, gross, fine == 0 ? double.NaN : cents / fine);
    }

    /// <summary>Share of frames a method calls voiced on 2 s of white noise at −20 dBFS RMS.</summary>
    public static double NoiseVoicedShare(string method)
    {
        var rng = new Random(7);
        var x = new float[2 * Rate];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(0.1 * Math.Sqrt(3) * (rng.NextDouble() * 2 - 1));
        var est = Track(method, AudioClip.Mono(x, Rate));
        return (double)est.Count(v => !double.IsNaN(v)) / est.Length;
    }

    /// <summary>
    /// On a real clip: voiced share by each method, and the share of frames voiced by both ours and the other whose
    /// pitch differs by more than <see cref="GrossCents"/>.
    /// </summary>
    public static IReadOnlyList<(string Method, double VoicedShare, double GrossVsOurs, double MsPer10s)> OnClip(AudioClip clip, int repeats)
    {
        var ours = Track("ours-yin", clip);
        var rows = new List<(string, double, double, double)>();
        foreach (var m in Methods)
        {
            var est = m == "ours-yin" ? ours : Track(m, clip);
            int voiced = 0, both = 0, gross = 0;
            for (int k = 0; k < est.Length; k++)
            {
                if (double.IsNaN(est[k])) continue;
                voiced++;
                if (double.IsNaN(ours[k])) continue;
                both++;
                if (Math.Abs(1200 * Math.Log2(est[k] / ours[k])) > GrossCents) gross++;
            }
            rows.Add((m, est.Length == 0 ? 0 : (double)voiced / est.Length, both == 0 ? double.NaN : (double)gross / both,
                MsPer10s(m, clip, repeats)));
        }
        return rows;
    }

    /// <summary>
    /// Leading and trailing silence in seconds by frame RMS (NWaves <c>DiscreteSignal.Rms</c> over 20 ms frames)
    /// below <paramref name="silenceDb"/>: the alternative to our per-sample level.
    /// </summary>
    public static (double Lead, double Trail) FrameRmsSilence(AudioClip clip, double silenceDb = AudioClipStats.SilenceDbfs)
    {
        var signal = new DiscreteSignal(clip.SampleRate, clip.ToMono());
        int hop = clip.SampleRate / 50, frames = signal.Length / hop;
        double threshold = Math.Pow(10, silenceDb / 20);
        int first = -1, last = -1;
        for (int k = 0; k < frames; k++)
            if (signal.Rms(k * hop, (k + 1) * hop) > threshold)
            {
                if (first < 0) first = k;
                last = k;
            }
        if (first < 0) return (clip.Duration, 0);
        return (first * hop / (double)clip.SampleRate, clip.Duration - (last + 1) * hop / (double)clip.SampleRate);
    }

    /// <summary>Synthetic clips for the silence comparison, each with its true leading and trailing silence.</summary>
    public static IEnumerable<(string Name, AudioClip Clip, double Lead, double Trail)> SilenceCases()
    {
        AudioClip Build(double lead, double body, double trail, double noiseDb, bool click)
        {
            var (tone, _) = Tone(150, body, harmonic: true, vibrato: false, double.PositiveInfinity);
            int l = (int)(lead * Rate), t = (int)(trail * Rate);
            var x = new float[l + tone.Length + t];
            tone.CopyTo(x, l);
            var rng = new Random(3);
            double a = Math.Pow(10, noiseDb / 20) * Math.Sqrt(3);
            for (int i = 0; i < x.Length; i++) x[i] += (float)(a * (rng.NextDouble() * 2 - 1));
            if (click) x[l / 2] = 0.5f;
            return AudioClip.Mono(x, Rate);
        }
        yield return ("0.7 s lead, 0.4 s trail, digital silence", Build(0.7, 1, 0.4, -200, false), 0.7, 0.4);
        yield return ("same with noise floor at -60 dBFS RMS", Build(0.7, 1, 0.4, -60, false), 0.7, 0.4);
        yield return ("same with noise floor at -45 dBFS RMS", Build(0.7, 1, 0.4, -45, false), 0.7, 0.4);
        yield return ("same with one click in the lead", Build(0.7, 1, 0.4, -200, true), 0.7, 0.4);
        yield return ("all silent (1 s)", AudioClip.Mono(new float[Rate], Rate), 1, 0);
    }
}

/// <summary>How one method did on one synthetic tone.</summary>
/// <param name="Method">One of <see cref="ProsodyBench.Methods"/>.</param>
/// <param name="F0">The tone's pitch, Hz (centre of the vibrato).</param>
/// <param name="Harmonic">Five harmonics rather than a sine.</param>
/// <param name="Vibrato">±50 cents at 5.5 Hz.</param>
/// <param name="SnrDb">Signal-to-noise ratio of the added white noise (∞ = none).</param>
/// <param name="Judged">Frames judged (all voiced in truth).</param>
/// <param name="Missed">Frames reported unvoiced.</param>
/// <param name="Gross">Frames more than <see cref="ProsodyBench.GrossCents"/> off.</param>
/// <param name="MeanCents">Mean |error| of the other frames, cents.</param>
public sealed record ToneScore(string Method, double F0, bool Harmonic, bool Vibrato, double SnrDb, int Judged,
    int Missed, int Gross, double MeanCents);
