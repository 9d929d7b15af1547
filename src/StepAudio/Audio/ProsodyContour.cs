namespace StepAudio.Audio;

/// <summary>
/// Per-frame pitch and energy of a clip on the mel's frame grid (frame k is mel column k), from
/// <see cref="Prosody.Analyze"/>.
/// </summary>
/// <param name="Times">Frame centres in seconds.</param>
/// <param name="F0">Pitch in Hz; NaN where unvoiced (charts leave gaps there).</param>
/// <param name="EnergyDb">Frame RMS in dBFS (floored at −100).</param>
/// <param name="SilenceDb">Frames below this energy count as silence.</param>
public sealed record ProsodyContour(double[] Times, double[] F0, double[] EnergyDb, double SilenceDb)
{
    /// <summary>Number of frames.</summary>
    public int Frames => Times.Length;

    /// <summary>Whether frame <paramref name="k"/> carries a pitch.</summary>
    public bool IsVoiced(int k) => !double.IsNaN(F0[k]);

    /// <summary>Whether frame <paramref name="k"/> is above the silence level.</summary>
    public bool IsActive(int k) => EnergyDb[k] >= SilenceDb;

    /// <summary>The clip-level statistics of this contour.</summary>
    public ProsodySummary Summarize() => ProsodySummary.Of(this);

    /// <summary>
    /// The contour read at <paramref name="frames"/> in that order (an alignment path's side; indices past the end read
    /// the last frame): frame k of the result is frame frames[k] of this one, on this contour's frame spacing.
    /// </summary>
    public ProsodyContour Warp(IEnumerable<int> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (Frames == 0) throw new InvalidOperationException("ProsodyContour.Warp: the contour has no frames");
        var picked = frames.Select(k => Math.Clamp(k, 0, Frames - 1)).ToArray();
        double hop = Frames > 1 ? Times[1] - Times[0] : 0;
        return new ProsodyContour(picked.Select((_, k) => Times[0] + k * hop).ToArray(), picked.Select(k => F0[k]).ToArray(),
            picked.Select(k => EnergyDb[k]).ToArray(), SilenceDb);
    }
}

/// <summary>Clip-level prosody statistics.</summary>
/// <param name="MedianF0">Median pitch of voiced frames, Hz (NaN when none).</param>
/// <param name="F0RangeSemitones">Spread of voiced pitch, 5th to 95th percentile, in semitones (NaN under 5 voiced frames).</param>
/// <param name="VoicedShare">Voiced frames over active (non-silent) frames; 0 when none are active.</param>
/// <param name="MeanEnergyDb">Energy of the active frames (dB of their mean power; −100 when none).</param>
/// <param name="ActiveSeconds">Seconds of frames above the silence level.</param>
/// <param name="VoicedOnsetsPerSecond">Unvoiced-to-voiced transitions per active second: a cheap syllable-rate proxy.</param>
public sealed record ProsodySummary(double MedianF0, double F0RangeSemitones, double VoicedShare, double MeanEnergyDb,
    double ActiveSeconds, double VoicedOnsetsPerSecond)
{
    /// <summary>Fewest voiced frames for which a range is given.</summary>
    public const int MinFramesForRange = 5;

    internal static ProsodySummary Of(ProsodyContour c)
    {
        var voiced = new List<double>();
        int active = 0, onsets = 0;
        double power = 0;
        bool wasVoiced = false;
        for (int k = 0; k < c.Frames; k++)
        {
            bool v = c.IsVoiced(k);
            if (v) voiced.Add(c.F0[k]);
            if (v && !wasVoiced) onsets++;
            wasVoiced = v;
            if (!c.IsActive(k)) continue;
            active++;
            power += Math.Pow(10, c.EnergyDb[k] / 10);
        }
        voiced.Sort();
        double hop = c.Frames > 1 ? c.Times[1] - c.Times[0] : 0;
        double seconds = active * hop;
        double range = voiced.Count < MinFramesForRange ? double.NaN
            : 12 * Math.Log2(Percentile(voiced, 0.95) / Percentile(voiced, 0.05));
        return new ProsodySummary(
            voiced.Count == 0 ? double.NaN : Percentile(voiced, 0.5), range,
            active == 0 ? 0 : (double)voiced.Count / active,
            active == 0 ? -100 : 10 * Math.Log10(power / active),
            seconds, seconds > 0 ? onsets / seconds : 0);
    }

    /// <summary>Linear-interpolated percentile (numpy's default) of sorted values.</summary>
    internal static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) return double.NaN;
        double pos = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
