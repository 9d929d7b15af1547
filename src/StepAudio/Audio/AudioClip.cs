using System.Numerics;
using System.Runtime.InteropServices;

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
        var mono = new float[Length];
        var acc = MemoryMarshal.Cast<float, Vector<float>>(mono.AsSpan());
        foreach (var ch in Channels)
        {
            var src = MemoryMarshal.Cast<float, Vector<float>>(ch.AsSpan(0, mono.Length));
            for (int v = 0; v < acc.Length; v++) acc[v] += src[v];
            for (int i = acc.Length * Vector<float>.Count; i < mono.Length; i++) mono[i] += ch[i];
        }
        var count = new Vector<float>(Channels.Length);
        for (int v = 0; v < acc.Length; v++) acc[v] /= count;
        for (int i = acc.Length * Vector<float>.Count; i < mono.Length; i++) mono[i] /= Channels.Length;
        return mono;
    }

    /// <summary>A mono clip from samples.</summary>
    public static AudioClip Mono(float[] samples, int sampleRate) => new(new[] { samples }, sampleRate);
}
