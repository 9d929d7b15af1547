using StepAudio.Audio;

namespace StepAudio.Notebooks;

/// <summary>The HTML of a clip: title, player, waveform, then duration, sample rate and channels.</summary>
public static class AudioHtml
{
    /// <summary>The player block of <paramref name="clip"/> (without the shared styles; see <see cref="Html.Section"/>).</summary>
    public static string Player(AudioClip clip, string? title = null, int width = 600)
    {
        var channels = clip.Channels.Length == 1 ? "mono" : $"{clip.Channels.Length} channels (played as mono)";
        return "<div class=\"sa-audio\">"
            + (string.IsNullOrEmpty(title) ? "" : $"<div class=\"sa-title\">{Html.Encode(title)}</div>")
            + $"<audio controls preload=\"metadata\" src=\"{WavDataUri.Of(clip)}\"></audio>"
            + WaveformSvg.Render(clip, width)
            + $"<div class=\"sa-meta\">{Html.Duration(clip.Duration)} · {Html.Count(clip.SampleRate)} Hz · {channels} · {Html.Count(clip.Length)} samples</div>"
            + "</div>";
    }

    /// <summary>A whole output for one clip.</summary>
    public static string Render(AudioClip clip, string? title = null) => Html.Section(null, Player(clip, title));

    /// <summary>Two players side by side (e.g. before / after fine-tuning).</summary>
    public static string Compare(AudioClip a, AudioClip b, string labelA, string labelB, string? title = null) =>
        Html.Section(title, $"<div class=\"sa-side\">{Player(a, labelA, 420)}{Player(b, labelB, 420)}</div>");
}
