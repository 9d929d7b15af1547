namespace StepAudio.Tokenizers.FrontEnds;

/// <summary>
/// The non-silent span librosa 0.10.2 <c>effects.trim</c> finds (what upstream utils.py <c>trim_silence</c> calls),
/// with each step kept so it can be checked: frame rms (<c>feature.rms</c>, center=True, zero padding of
/// frame_length / 2), dB relative to the loudest frame (<c>amplitude_to_db(ref=np.max, amin=1e-5)</c>), the
/// non-silent mask (dB above −top_db) and the sample span <c>[Start, End)</c>.
/// </summary>
public sealed record LibrosaTrimResult(float[] Rms, float[] Db, bool[] NonSilent, long Start, long End);

/// <summary>librosa.effects.trim (librosa 0.10.2) on one mono channel.</summary>
public static class LibrosaTrim
{
    /// <summary>Runs the trim; an all-silent signal gives the span [0, 0) as librosa does.</summary>
    public static LibrosaTrimResult Trim(float[] y, double topDb, int frameLength, int hopLength)
    {
        ArgumentNullException.ThrowIfNull(y);
        if (frameLength <= 0 || hopLength <= 0)
            throw new ArgumentException($"frame_length {frameLength} and hop_length {hopLength} must be positive");
        if (y.Length == 0) throw new ArgumentException("trim_silence needs a non-empty waveform", nameof(y));
        int pad = frameLength / 2;
        // librosa pads both sides by frame_length // 2 and takes every frame that fits: 1 + (N + 2·pad − L) // hop.
        long padded = y.LongLength + 2L * pad;
        int frames = padded < frameLength ? 0 : (int)(1 + (padded - frameLength) / hopLength);
        var rms = new float[frames];
        for (int f = 0; f < frames; f++)
        {
            double sum = 0;
            long s0 = (long)f * hopLength - pad;
            for (int i = 0; i < frameLength; i++)
            {
                long s = s0 + i;
                if (s >= 0 && s < y.Length) sum += (double)y[s] * y[s];
            }
            rms[f] = (float)Math.Sqrt(sum / frameLength);
        }
        // amplitude_to_db squares the rms back to power; amin 1e-5 becomes a power floor of 1e-10.
        float max = rms.Length == 0 ? 0 : rms.Max();
        double refDb = 10 * Math.Log10(Math.Max(1e-10, (double)max * max));
        var db = new float[frames];
        var nonSilent = new bool[frames];
        int first = -1, last = -1;
        for (int f = 0; f < frames; f++)
        {
            db[f] = (float)(10 * Math.Log10(Math.Max(1e-10, (double)rms[f] * rms[f])) - refDb);
            nonSilent[f] = db[f] > -topDb;
            if (nonSilent[f]) { if (first < 0) first = f; last = f; }
        }
        long start = 0, end = 0;
        if (first >= 0)
        {
            start = (long)first * hopLength;
            end = Math.Min(y.LongLength, (long)(last + 1) * hopLength);
        }
        return new LibrosaTrimResult(rms, db, nonSilent, start, end);
    }
}
