using System.Numerics;

namespace StepAudio.Audio;

/// <summary>Decoded audio: one float array per channel, samples in [-1, 1] for integer formats.</summary>
public sealed record AudioClip(float[][] Channels, int SampleRate)
{
    /// <summary>Number of samples per channel.</summary>
    public int Length => Channels.Length == 0 ? 0 : Channels[0].Length;

    /// <summary>Duration in seconds.</summary>
    public double Duration => SampleRate == 0 ? 0 : (double)Length / SampleRate;

    /// <summary>The channel average (upstream downmixes with <c>mean(dim=0)</c>: sum, then divide).</summary>
    public float[] ToMono()
    {
        if (Channels.Length == 1) return (float[])Channels[0].Clone();
        int n = Length, width = Vector<float>.Count, i = 0;
        var mono = GC.AllocateUninitializedArray<float>(n);
        var count = new Vector<float>(Channels.Length);
        // One pass: per block, channels summed in order then divided (the same rounding as the scalar tail).
        for (; i <= n - width; i += width)
        {
            var sum = new Vector<float>(Channels[0], i);
            for (int c = 1; c < Channels.Length; c++) sum += new Vector<float>(Channels[c], i);
            (sum / count).CopyTo(mono, i);
        }
        for (; i < n; i++)
        {
            float sum = Channels[0][i];
            for (int c = 1; c < Channels.Length; c++) sum += Channels[c][i];
            mono[i] = sum / Channels.Length;
        }
        return mono;
    }

    /// <summary>A mono clip from samples.</summary>
    public static AudioClip Mono(float[] samples, int sampleRate) => new(new[] { samples }, sampleRate);
}
