using StepAudio.Audio;

namespace StepAudio.Data;

/// <summary>
/// Prosody of the distinct target clips of one speaker and edit type, as medians over the clips' own statistics
/// (so one long clip does not outweigh the rest, and a range stays a within-utterance range).
/// </summary>
/// <param name="Speaker"><c>speaker_id</c>, or <c>(none)</c>.</param>
/// <param name="EditType">The <c>edit_type</c> name.</param>
/// <param name="Clips">Target clips with a measured contour.</param>
/// <param name="MedianF0">Median over clips of the clip's median F0, Hz (NaN when no clip is voiced).</param>
/// <param name="F0RangeSemitones">Median over clips of the p5–p95 F0 range, semitones.</param>
/// <param name="VoicedShare">Median share of active frames that are voiced (whispers are near 0).</param>
/// <param name="MeanEnergyDb">Median of the clips' active-frame energy, dBFS.</param>
/// <param name="VoicedOnsetsPerSecond">Median voiced onsets per active second (speaking-rate proxy).</param>
public sealed record ProsodyGroup(string Speaker, string EditType, int Clips, double MedianF0, double F0RangeSemitones,
    double VoicedShare, double MeanEnergyDb, double VoicedOnsetsPerSecond)
{
    /// <summary>One group per speaker and edit type that has measured targets, ordered by speaker then edit type.</summary>
    internal static IReadOnlyList<ProsodyGroup> Of(IEnumerable<ManifestRecord> records,
        IReadOnlyDictionary<string, ProsodySummary> summaries) =>
        records.GroupBy(r => (Speaker: r.SpeakerId ?? "(none)", Edit: r.EditType.ToManifestName()))
            .Select(g => (g.Key, Clips: g.Select(r => r.TargetAudioPath).Distinct()
                .Where(summaries.ContainsKey).Select(p => summaries[p]).ToList()))
            .Where(g => g.Clips.Count > 0)
            .OrderBy(g => g.Key.Speaker, StringComparer.Ordinal).ThenBy(g => g.Key.Edit, StringComparer.Ordinal)
            .Select(g => new ProsodyGroup(g.Key.Speaker, g.Key.Edit, g.Clips.Count,
                Median(g.Clips.Select(c => c.MedianF0)), Median(g.Clips.Select(c => c.F0RangeSemitones)),
                Median(g.Clips.Select(c => c.VoicedShare)), Median(g.Clips.Select(c => c.MeanEnergyDb)),
                Median(g.Clips.Select(c => c.VoicedOnsetsPerSecond))))
            .ToList();

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToList();
        return ProsodySummary.Percentile(sorted, 0.5);
    }
}
