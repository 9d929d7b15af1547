using System.Runtime.InteropServices;
using System.Security.Cryptography;
using StepAudio.Audio;

namespace StepAudio.Data;

/// <summary>Facts about one audio file that the data report needs.</summary>
/// <param name="Path">The file.</param>
/// <param name="SampleRate">Samples per second.</param>
/// <param name="Channels">Channel count.</param>
/// <param name="Duration">Seconds.</param>
/// <param name="Peak">Largest finite |sample| over all channels.</param>
/// <param name="ClippedSamples">Samples at |x| ≥ <see cref="ClipLevel"/>.</param>
/// <param name="NonFiniteSamples">NaN or ±Inf samples (float WAVs only).</param>
/// <param name="LeadingSilence">Seconds before the first sample above <see cref="SilenceDbfs"/>.</param>
/// <param name="TrailingSilence">Seconds after the last sample above <see cref="SilenceDbfs"/>.</param>
/// <param name="ContentHash">SHA-256 of the decoded samples and rate (the same sound in another file matches).</param>
public sealed record AudioClipStats(string Path, int SampleRate, int Channels, double Duration, double Peak,
    long ClippedSamples, long NonFiniteSamples, double LeadingSilence, double TrailingSilence, string ContentHash)
{
    /// <summary>|x| at or above this counts as clipped.</summary>
    public const double ClipLevel = 0.999;
    /// <summary>Level below which audio counts as silence, in dBFS.</summary>
    public const double SilenceDbfs = -50;

    /// <summary>Seconds between the first and last sample above the silence level.</summary>
    public double SpeechDuration => Math.Max(0, Duration - LeadingSilence - TrailingSilence);

    /// <summary>The peak in dBFS (−∞ for digital silence).</summary>
    public double PeakDbfs => Peak > 0 ? 20 * Math.Log10(Peak) : double.NegativeInfinity;

    /// <summary>Reads a WAV file and measures it. Unreadable or non-WAV files throw <see cref="InputException"/>.</summary>
    public static AudioClipStats Measure(string path) => Of(path, WavFile.Read(path));

    /// <summary>Measures an already decoded <paramref name="clip"/> read from <paramref name="path"/>.</summary>
    public static AudioClipStats Of(string path, AudioClip clip)
    {
        double threshold = Math.Pow(10, SilenceDbfs / 20);
        double peak = 0;
        long clipped = 0, nonFinite = 0;
        int n = clip.Length, first = n, last = -1;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(BitConverter.GetBytes(clip.SampleRate));
        foreach (var ch in clip.Channels)
        {
            hash.AppendData(MemoryMarshal.AsBytes(ch.AsSpan()));
            for (int i = 0; i < ch.Length; i++)
            {
                float x = ch[i];
                if (!float.IsFinite(x)) { nonFinite++; continue; }
                double a = Math.Abs(x);
                if (a > peak) peak = a;
                if (a >= ClipLevel) clipped++;
                if (a > threshold)
                {
                    if (i < first) first = i;
                    if (i > last) last = i;
                }
            }
        }
        double rate = clip.SampleRate;
        double lead = last < 0 ? clip.Duration : first / rate;
        double trail = last < 0 ? 0 : (n - 1 - last) / rate;
        return new AudioClipStats(System.IO.Path.GetFullPath(path), clip.SampleRate, clip.Channels.Length,
            clip.Duration, peak, clipped, nonFinite, lead, trail, Convert.ToHexString(hash.GetHashAndReset()));
    }
}
