namespace StepAudio.Audio;

/// <summary>
/// Upstream <c>StepAudioTTS.preprocess_prompt_wav</c> (stepfun-ai/Step-Audio-EditX tts.py): downmix to mono with the
/// channel mean, then, only when the peak exceeds 0.6, scale to <c>x / peak · 0.6</c> ("volume-normalize avoid
/// clipping"). Every prompt feature (log-mel, speaker embedding, audio tokens) is computed from the result.
/// </summary>
public static class PromptAudio
{
    /// <summary>The peak above which the prompt is scaled down (upstream hard-codes 0.6).</summary>
    public const float PeakLimit = 0.6f;

    /// <summary>Mono, peak-limited samples of <paramref name="clip"/> at its own rate.</summary>
    public static AudioClip Preprocess(AudioClip clip)
    {
        var mono = clip.ToMono();
        float peak = 0;
        foreach (var x in mono) peak = Math.Max(peak, Math.Abs(x));
        if (peak > PeakLimit)
            for (int i = 0; i < mono.Length; i++) mono[i] = mono[i] / peak * PeakLimit;
        return AudioClip.Mono(mono, clip.SampleRate);
    }

    /// <summary>Reads a WAV prompt and preprocesses it as upstream does.</summary>
    public static AudioClip Load(string path) => Preprocess(WavFile.Read(path));
}
