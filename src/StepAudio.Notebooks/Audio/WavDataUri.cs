using StepAudio.Audio;

namespace StepAudio.Notebooks;

/// <summary>
/// A clip as a <c>data:audio/wav;base64,…</c> URI: the player needs no file and no server, and the notebook keeps
/// the sound when saved. Always 16-bit PCM mono (every browser plays it; half the size of float), downmixed as
/// upstream does.
/// </summary>
public static class WavDataUri
{
    /// <summary>The URI of <paramref name="clip"/> as mono 16-bit PCM WAV.</summary>
    public static string Of(AudioClip clip)
    {
        var mono = clip.Channels.Length == 1 ? clip : AudioClip.Mono(clip.ToMono(), clip.SampleRate);
        return "data:audio/wav;base64," + Convert.ToBase64String(WavFile.Encode(mono));
    }
}
