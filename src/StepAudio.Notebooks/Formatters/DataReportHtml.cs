using StepAudio.Data;

namespace StepAudio.Notebooks;

/// <summary>
/// A <see cref="DataReport"/> as tables: what the data holds, the pitch and energy per speaker and edit type with a
/// chart of them (when measured), then every problem (errors red, warnings amber).
/// </summary>
public static class DataReportHtml
{
    /// <summary>Most problem rows shown; the rest are counted.</summary>
    public const int MaxProblems = 200;

    public static string Render(DataReport r)
    {
        var verdict = r.HasErrors
            ? $"<span class=\"sa-badge-error\">{Html.Count(r.Errors.Count)} error(s)</span>, {Html.Count(r.Warnings.Count)} warning(s)"
            : r.Warnings.Count > 0
                ? $"<span class=\"sa-ok\">no errors</span>, <span class=\"sa-badge-warning\">{Html.Count(r.Warnings.Count)} warning(s)</span>"
                : "<span class=\"sa-ok\">no errors, no warnings</span>";
        var counts = new List<TableRow>
        {
            new("mode", Html.Encode(r.Mode.ToString().ToLowerInvariant())),
            new("manifests", string.Join("<br>", r.Manifests.Select(m => $"{Html.Encode(m.Path)} ({Html.Count(m.Records)} records)"))),
            new("records", Html.Count(r.Records)),
            new("clips", Html.Count(r.Clips.Count)),
            new("duration", $"{Html.Duration(r.TotalDuration)} (shortest {Html.Duration(r.MinDuration)}, longest {Html.Duration(r.MaxDuration)})"),
            new("speakers", $"{Html.Count(r.SpeakerCounts.Count)}: {Tally(r.SpeakerCounts)}"),
            new("edit types", Tally(r.EditTypeCounts)),
            new("sample rates", Tally(r.SampleRates.ToDictionary(kv => $"{kv.Key} Hz" + (kv.Key == r.TargetSampleRate ? " (target)" : ""), kv => kv.Value))),
            new("channels", Tally(r.ChannelCounts.ToDictionary(kv => kv.Key == 1 ? "mono" : $"{kv.Key} channels", kv => kv.Value))),
            new("clipped clips", Html.Count(r.ClippedClips)),
            new("duplicate / overlapping records", $"{Html.Count(r.DuplicateRecords)} / {Html.Count(r.OverlappingRecords)}"),
        };
        var body = $"<div>{verdict}</div>" + Html.Table(new[] { "", "" }, counts, cssClass: "sa-counts");
        if (r.Prosody is { Count: > 0 } groups) body += Prosody(groups);
        if (r.Problems.Count > 0)
        {
            var rows = r.Problems.OrderByDescending(p => p.IsError).Select(p => new TableRow(new[]
            {
                p.IsError ? "error" : "warning", Html.Encode(p.File), p.Line is { } l ? Html.Count(l) : "",
                Html.Encode(p.Field), Html.Encode(p.Problem), Html.Encode(p.Fix),
            }, p.IsError ? "sa-error" : "sa-warning"));
            body += Html.Table(new[] { "", "file", "line", "field", "problem", "fix" }, rows, MaxProblems, "sa-problems");
        }
        return Html.Section("Data report", body);
    }

    /// <summary>The prosody table (one row per speaker and edit type) and its chart.</summary>
    static string Prosody(IReadOnlyList<ProsodyGroup> groups)
    {
        var rows = groups.Select(g => new TableRow(
            Html.Encode(g.Speaker), Html.Encode(g.EditType), Html.Count(g.Clips), Html.Number(g.MedianF0, "0"),
            Html.Number(g.F0RangeSemitones, "0.0"), Html.Percent(g.VoicedShare, 0), Html.Number(g.MeanEnergyDb, "0.0"),
            Html.Number(g.VoicedOnsetsPerSecond, "0.0")));
        return "<div class=\"sa-title\">Pitch and energy of the target clips (medians over clips; range p5–p95 of F0)</div>"
            + Html.Table(new[] { "speaker", "edit type", "clips", "median F0 (Hz)", "F0 range (st)", "voiced", "energy (dBFS)", "voiced onsets/s" },
                rows, cssClass: "sa-prosody")
            + PlotlyHtml.Render(ProsodyChart.Groups(groups));
    }

    /// <summary><c>name: count, …</c>, largest first, encoded.</summary>
    static string Tally<TKey>(IReadOnlyDictionary<TKey, int> counts) where TKey : notnull =>
        counts.Count == 0 ? "–" : string.Join(", ", counts.OrderByDescending(kv => kv.Value).Take(30)
            .Select(kv => $"{Html.Encode(kv.Key.ToString())}: {Html.Count(kv.Value)}"))
            + (counts.Count > 30 ? $", … {Html.Count(counts.Count - 30)} more" : "");
}
