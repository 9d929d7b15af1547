using StepAudio.Audio;

namespace StepAudio.Evaluation;

/// <summary>Mel cepstral distortion of two log-mels and the DTW path that aligned them.</summary>
/// <param name="Db">Mean distortion over the path's frame pairs, dB.</param>
/// <param name="Path">Aligned frame pairs (target frame, generated frame), from (0, 0) to both last frames.</param>
public sealed record MelCepstralDistortion(double Db, IReadOnlyList<(int Target, int Generated)> Path);

/// <summary>
/// The objective measures of <c>stepaudio evaluate</c>: speaker similarity (cosine of speaker embeddings), mel
/// cepstral distortion with DTW alignment, and F0 RMSE in cents along that alignment.
/// </summary>
public static class SpeechMetrics
{
    /// <summary>Cepstra compared by <see cref="Mcd"/>: c1..c13 (c0, the frame's overall level, is left out).</summary>
    public const int Cepstra = 13;

    /// <summary>10·√2 / ln 10: turns a Euclidean distance of natural-log cepstra into dB (Kubichek 1993).</summary>
    public static readonly double DbFactor = 10 * Math.Sqrt(2) / Math.Log(10);

    /// <summary>Cosine of two embeddings (1 = same direction); NaN when either is all zeros.</summary>
    public static double Cosine(IReadOnlyList<float> a, IReadOnlyList<float> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count) throw new ArgumentException($"SpeechMetrics.Cosine: embeddings of {a.Count} and {b.Count} values");
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Count; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return na > 0 && nb > 0 ? dot / Math.Sqrt(na * nb) : double.NaN;
    }

    /// <summary>
    /// Cepstra c1..c13 of every frame of a natural-log mel <c>[bins, frames]</c>: the real cepstrum of the log-mel
    /// curve taken as an even function of frequency, c_k = (1/N) Σ_n x_n cos(π k (n + ½) / N) (a DCT-II scaled by 1/N,
    /// N = bins). With this scaling √(2 Σ_k Δc_k²) is the RMS over bins (nepers) of the part of a log-mel difference
    /// that c1..c13 describe, so MCD values have the usual magnitude of SPTK mel-cepstra (a few dB). Returns <c>[frames][13]</c>.
    /// </summary>
    public static double[][] MelCepstra(float[,] logMel)
    {
        ArgumentNullException.ThrowIfNull(logMel);
        int bins = logMel.GetLength(0), frames = logMel.GetLength(1);
        if (bins <= Cepstra) throw new ArgumentException($"SpeechMetrics.MelCepstra: need more than {Cepstra} mel bins, got {bins}");
        var basis = new double[Cepstra, bins];
        for (int k = 0; k < Cepstra; k++)
            for (int n = 0; n < bins; n++)
                basis[k, n] = Math.Cos(Math.PI * (k + 1) * (n + 0.5) / bins);
        var result = new double[frames][];
        for (int t = 0; t < frames; t++)
        {
            var c = result[t] = new double[Cepstra];
            for (int k = 0; k < Cepstra; k++)
            {
                double s = 0;
                for (int n = 0; n < bins; n++) s += basis[k, n] * logMel[n, t];
                c[k] = s / bins;
            }
        }
        return result;
    }

    /// <summary>
    /// MCD-DTW (Kubichek 1993, as speech toolkits compute it): cepstra c1..c13 of both natural-log mels (c0, the
    /// frame's level, excluded; <see cref="MelCepstra"/>), aligned by dynamic time warping (steps (1,0), (0,1), (1,1),
    /// Euclidean cepstral distance, whole sequences), then the mean over the path's frame pairs of
    /// 10·√2/ln10 · ‖c_target − c_generated‖ in dB. Identical mels give 0; a different speed costs nothing by itself,
    /// since DTW absorbs timing. The mels are the model's 80-bin 24 kHz log-mels rather than an all-pass-warped
    /// mel-cepstral analysis, so values compare across runs of this toolkit, not digit for digit with SPTK-based MCD.
    /// </summary>
    public static MelCepstralDistortion Mcd(float[,] targetMel, float[,] generatedMel)
    {
        var a = MelCepstra(targetMel);
        var b = MelCepstra(generatedMel);
        if (a.Length == 0 || b.Length == 0) throw new ArgumentException("SpeechMetrics.Mcd: a mel has no frames");
        var path = Dtw.Align(a.Length, b.Length, (i, j) => Distance(a[i], b[j]));
        double sum = 0;
        foreach (var (i, j) in path) sum += Distance(a[i], b[j]);
        return new MelCepstralDistortion(DbFactor * sum / path.Count, path);
    }

    /// <summary>Euclidean distance of two cepstral frames.</summary>
    public static double Distance(double[] x, double[] y)
    {
        double s = 0;
        for (int k = 0; k < x.Length; k++) s += (x[k] - y[k]) * (x[k] - y[k]);
        return Math.Sqrt(s);
    }

    /// <summary>
    /// F0 RMSE in cents over the aligned frame pairs voiced in both, by <see cref="Prosody.Compare(ProsodyContour, ProsodyContour)"/>
    /// on the two contours warped along <paramref name="path"/> (contour frame k is mel frame k). Also returns the
    /// number of pairs it was taken over; NaN when none is voiced in both.
    /// </summary>
    public static (double Cents, int VoicedPairs) F0RmseCents(ProsodyContour target, ProsodyContour generated,
        IReadOnlyList<(int Target, int Generated)> path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var c = Prosody.Compare(target.Warp(path.Select(p => p.Target)), generated.Warp(path.Select(p => p.Generated)));
        return (c.F0RmseCents, c.VoicedInBoth);
    }
}
