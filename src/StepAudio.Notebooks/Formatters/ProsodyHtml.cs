using StepAudio.Audio;

namespace StepAudio.Notebooks;

/// <summary>The HTML of <see cref="ProsodyView"/> and <see cref="ClipComparison"/>: players, pitch numbers, charts.</summary>
public static class ProsodyHtml
{
    /// <summary>The player, the clip's pitch summary, and the mel with its F0 and energy.</summary>
    public static string Render(ProsodyView v)
    {
        var s = v.Contour.Summarize();
        var meta = $"<div class=\"sa-meta\">median F0 {Html.Number(s.MedianF0, "0")} Hz · range {Html.Number(s.F0RangeSemitones, "0.0")} st · "
            + $"voiced {Html.Percent(s.VoicedShare, 0)} of active frames · energy {Html.Number(s.MeanEnergyDb, "0.0")} dBFS · "
            + $"{Html.Number(s.VoicedOnsetsPerSecond, "0.0")} voiced onsets/s</div>";
        return Html.Section(v.Title, AudioHtml.Player(v.Clip) + meta + PlotlyHtml.Render(v.Chart));
    }

    /// <summary>Both players, the numbers of the comparison, the pitch chart, then the mels.</summary>
    public static string Render(ClipComparison c)
    {
        var p = c.Prosody;
        var (t, g) = (p.Target, p.Generated);
        TableRow Row(string name, Func<ProsodySummary, string> cell) => new(Html.Encode(name), cell(t), cell(g));
        var clips = Html.Table(new[] { "", c.TargetLabel, c.GeneratedLabel }, new[]
        {
            new TableRow("duration", Html.Duration(c.Target.Duration), Html.Duration(c.Generated.Duration)),
            Row("median F0 (Hz)", x => Html.Number(x.MedianF0, "0.0")),
            Row("F0 range (st)", x => Html.Number(x.F0RangeSemitones, "0.0")),
            Row("voiced", x => Html.Percent(x.VoicedShare, 0)),
            Row("energy (dBFS)", x => Html.Number(x.MeanEnergyDb, "0.0")),
            Row("voiced onsets/s", x => Html.Number(x.VoicedOnsetsPerSecond, "0.0")),
        }, cssClass: "sa-prosody");
        var match = Html.Table(new[] { "pitch of " + c.GeneratedLabel + " against " + c.TargetLabel, "" }, new[]
        {
            new TableRow("F0 RMSE (cents)", Html.Number(p.F0RmseCents, "0.0")),
            new TableRow("F0 RMSE (Hz)", Html.Number(p.F0RmseHz, "0.0")),
            new TableRow("mean offset (cents)", Html.Number(p.MeanOffsetCents, "0.0")),
            new TableRow("voicing agreement", double.IsNaN(p.VoicingAgreement) ? "–" : Html.Percent(p.VoicingAgreement, 1)),
            new TableRow("frames voiced in both", Html.Count(p.VoicedInBoth)),
        }, cssClass: "sa-prosody");
        // No time warping: a speed edit shifts every frame, so its RMSE mixes timing with pitch.
        var note = "<div class=\"sa-meta\">frame k of each clip against frame k of the other, no time warping: "
            + "for clips of different speed compare the medians rather than the RMSE</div>";
        var players = $"<div class=\"sa-side\">{AudioHtml.Player(c.Target, c.TargetLabel, 420)}{AudioHtml.Player(c.Generated, c.GeneratedLabel, 420)}</div>";
        return Html.Section(c.Title ?? $"{c.TargetLabel} vs {c.GeneratedLabel}",
            players + $"<div class=\"sa-side\">{clips}{match}</div>" + note
            + PlotlyHtml.Render(c.Pitch) + PlotlyHtml.Render(c.Mels));
    }
}
