using StepAudio.Inference;

namespace StepAudio.Notebooks;

/// <summary>A <see cref="TtsResult"/>: the player, the mel it was vocoded from, and the token counts.</summary>
public static class TtsResultHtml
{
    public static string Render(TtsResult r) =>
        Html.Section("Generated speech", AudioHtml.Player(r.Audio)
            + $"<div class=\"sa-meta\">{Html.Count(r.AudioTokens.Count)} audio tokens from a {Html.Count(r.PromptIds.Count)}-token prompt · "
            + (r.StoppedAtEos ? "stopped at end-of-speech" : "<span class=\"sa-badge-warning\">hit the length limit (no end-of-speech)</span>") + "</div>"
            + PlotlyHtml.Render(MelChart.Heatmap(r.Mel, r.Audio.SampleRate, HopFor(r), "mel")));

    /// <summary>The hop that makes the mel span the audio (480 at 24 kHz upstream; derived so other rates line up).</summary>
    static int HopFor(TtsResult r)
    {
        int frames = r.Mel.GetLength(1);
        return frames == 0 || r.Audio.Length == 0 ? 480 : Math.Max(1, (int)Math.Round((double)r.Audio.Length / frames));
    }
}
