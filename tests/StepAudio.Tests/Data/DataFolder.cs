using StepAudio.Audio;
using StepAudio.Data;

namespace StepAudio.Tests.Data;

/// <summary>A temporary folder with small synthetic WAVs and manifests, for data tests.</summary>
internal sealed class DataFolder : IDisposable
{
    public string Root { get; } = TestPaths.NewTempDir("stepaudio-data");

    public string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>A sine tone (amplitude, frequency) with optional leading/trailing digital silence.</summary>
    public string Tone(string relative, double seconds = 1.5, int rate = 8000, double amplitude = 0.5,
        double freq = 220, double leadSilence = 0, double trailSilence = 0)
    {
        int lead = (int)(leadSilence * rate), body = (int)(seconds * rate), trail = (int)(trailSilence * rate);
        var x = new float[lead + body + trail];
        for (int i = 0; i < body; i++) x[lead + i] = (float)(amplitude * Math.Sin(2 * Math.PI * freq * i / rate));
        return Wav(relative, x, rate);
    }

    public string Wav(string relative, float[] samples, int rate, WavSampleFormat format = WavSampleFormat.Pcm, int bits = 16)
    {
        var path = PathOf(relative);
        WavFile.Write(path, AudioClip.Mono(samples, rate), format, bits);
        return path;
    }

    public string Text(string relative, string content)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public string Bytes(string relative, byte[] content)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>A manifest line with a prompt, a target and both texts; <paramref name="extra"/> is appended JSON.</summary>
    public static string Line(string prompt = "a.wav", string target = "b.wav", string extra = "") =>
        $"{{\"prompt_audio_path\": \"{prompt}\", \"prompt_text\": \"hello there\", \"target_audio_path\": \"{target}\", " +
        $"\"target_text\": \"good morning\", \"speaker_id\": \"s1\"{extra}}}";

    public void Dispose()
    {
        try { Directory.Delete(Root, true); } catch (IOException) { }
    }
}
