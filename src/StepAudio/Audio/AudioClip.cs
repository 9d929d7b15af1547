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
        var mono = GC.AllocateUninitializedArray<float>(Length);
        DownmixInto(mono);
        return mono;
    }

    /// <summary>
    /// Writes the channel average into <paramref name="mono"/> (length <see cref="Length"/>), e.g. straight into a
    /// tensor's memory: a fresh 10 s array costs ~5 ms in page faults on some VMs, more than the resampling itself.
    /// </summary>
    public void DownmixInto(Span<float> mono)
    {
        int n = Length, width = Vector<float>.Count, i = 0;
        if (mono.Length != n) throw new ArgumentException($"expected {n} samples of room, got {mono.Length}", nameof(mono));
        if (Channels.Length == 1)
        {
            Channels[0].CopyTo(mono);
            return;
        }
        var count = new Vector<float>(Channels.Length);
        // One pass: per block, channels summed in order then divided (the same rounding as the scalar tail).
        for (; i <= n - width; i += width)
        {
            var sum = new Vector<float>(Channels[0], i);
            for (int c = 1; c < Channels.Length; c++) sum += new Vector<float>(Channels[c], i);
            (sum / count).CopyTo(mono[i..]);
        }
        for (; i < n; i++)
        {
            float sum = Channels[0][i];
            for (int c = 1; c < Channels.Length; c++) sum += Channels[c][i];
            mono[i] = sum / Channels.Length;
        }
    }

    /// <summary>A mono clip from samples.</summary>
    public static AudioClip Mono(float[] samples, int sampleRate) => new(new[] { samples }, sampleRate);
}
