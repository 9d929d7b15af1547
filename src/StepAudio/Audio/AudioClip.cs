namespace StepAudio.Audio;

/// <summary>Decoded audio: one float array per channel, samples in [-1, 1] for integer formats.</summary>
public sealed record AudioClip(float[][] Channels, int SampleRate)
{
    /// <summary>Number of samples per channel.</summary>
    public int Length => Channels.Length == 0 ? 0 : Channels[0].Length;

    /// <summary>Duration in seconds.</summary>
    public double Duration => SampleRate == 0 ? 0 : (double)Length / SampleRate;

    /// <summary>The channel average (upstream downmixes with <c>mean(dim=0)</c>).</summary>
    public float[] ToMono()
    {
        if (Channels.Length == 1) return (float[])Channels[0].Clone();
        var mono = new float[Length];
        for (int c = 0; c < Channels.Length; c++)
        {
            var ch = Channels[c];
            for (int i = 0; i < mono.Length; i++) mono[i] += ch[i];
        }
        float count = Channels.Length; // divide (not multiply by 1/C) as torch's mean does
        for (int i = 0; i < mono.Length; i++) mono[i] /= count;
        return mono;
    }

    /// <summary>A mono clip from samples.</summary>
    public static AudioClip Mono(float[] samples, int sampleRate) => new(new[] { samples }, sampleRate);
}
