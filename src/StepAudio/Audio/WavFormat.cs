namespace StepAudio.Audio;

/// <summary>How samples are stored in a WAV file.</summary>
public enum WavSampleFormat
{
    /// <summary>Integer PCM (8-bit unsigned, 16/24/32-bit signed).</summary>
    Pcm,
    /// <summary>IEEE float, 32 or 64 bit.</summary>
    Float,
}

/// <summary>The header facts of a WAV file.</summary>
public sealed record WavFormat(WavSampleFormat SampleFormat, int BitsPerSample, int Channels, int SampleRate,
    long Frames, bool Extensible)
{
    /// <summary>Duration in seconds.</summary>
    public double Duration => SampleRate == 0 ? 0 : (double)Frames / SampleRate;

    /// <summary>A short description such as <c>PCM 16-bit, 2 ch, 44100 Hz</c>.</summary>
    public override string ToString() =>
        $"{(SampleFormat == WavSampleFormat.Pcm ? "PCM" : "float")} {BitsPerSample}-bit, {Channels} ch, {SampleRate} Hz" +
        (Extensible ? " (extensible)" : "");
}
