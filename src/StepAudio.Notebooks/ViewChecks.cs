using StepAudio.Audio;
using StepAudio.Nn;
using static TorchSharp.torch;

namespace StepAudio.Notebooks;

/// <summary>
/// Argument checks of the public view and chart entry points: a notebook gets an <see cref="ArgumentException"/>
/// naming what was expected, not an empty chart, a garbled player, or a native error from TorchSharp (some of which,
/// e.g. a matmul shape mismatch, end the kernel process). Messages read <c>Api: name …; got …</c>.
/// </summary>
static class ViewChecks
{
    /// <summary>
    /// Throws unless <paramref name="clip"/> has at least one channel, equal non-empty channels and a positive rate;
    /// with <paramref name="allFinite"/> every sample must be finite (pitch analysis sums over the whole clip, so one
    /// NaN spreads over every frame), otherwise at least one must be.
    /// </summary>
    public static AudioClip Clip(AudioClip? clip, string api, string name, bool allFinite = false)
    {
        if (clip is null) throw new ArgumentNullException(name, $"{api}: {name} is null");
        if (clip.SampleRate <= 0)
            throw new ArgumentException($"{api}: {name} must have a positive sample rate; got {clip.SampleRate} Hz", name);
        if (clip.Channels is null || clip.Channels.Length == 0 || clip.Channels.Any(c => c is null))
            throw new ArgumentException($"{api}: {name} must have at least one channel of samples; got none", name);
        if (clip.Length == 0) throw new ArgumentException($"{api}: {name} is empty (0 samples)", name);
        if (clip.Channels.Any(c => c.Length != clip.Length))
            throw new ArgumentException(
                $"{api}: {name} must have channels of equal length; got {string.Join(", ", clip.Channels.Select(c => c.Length))} samples", name);
        long bad = 0;
        foreach (var channel in clip.Channels)
            foreach (var v in channel) if (!float.IsFinite(v)) bad++;
        long total = (long)clip.Length * clip.Channels.Length;
        if (bad == total)
            throw new ArgumentException($"{api}: {name} holds no finite sample (all {Html.Count(total)} are NaN or infinite)", name);
        if (allFinite && bad > 0)
            throw new ArgumentException(
                $"{api}: {name} must hold finite samples only; {Html.Count(bad)} of {Html.Count(total)} are NaN or infinite", name);
        return clip;
    }

    /// <summary>Throws unless <paramref name="mel"/> is non-empty [bins, frames] with at least one finite value.</summary>
    public static float[,] Mel(float[,]? mel, string api, string name)
    {
        if (mel is null) throw new ArgumentNullException(name, $"{api}: {name} is null");
        if (mel.GetLength(0) == 0 || mel.GetLength(1) == 0)
            throw new ArgumentException($"{api}: {name} must be a non-empty mel [bins, frames]; got [{mel.GetLength(0)}, {mel.GetLength(1)}]", name);
        foreach (var v in mel)
            if (float.IsFinite(v)) return mel;
        throw new ArgumentException($"{api}: {name} holds no finite value (all {Html.Count(mel.Length)} are NaN or infinite)", name);
    }

    /// <summary>Throws unless <paramref name="mel"/> is a live floating-point tensor [bins, frames] or [1, bins, frames], non-empty.</summary>
    public static Tensor MelTensor(Tensor? mel, string api, string name)
    {
        if (mel is null) throw new ArgumentNullException(name, $"{api}: {name} is null");
        if (mel.IsInvalid) throw new TensorArgumentException($"{api}: {name} has been disposed", name);
        bool rank = mel.dim() == 2 || (mel.dim() == 3 && mel.shape[0] == 1);
        if (!rank || !is_floating_point(mel.dtype) || mel.numel() == 0)
            throw new TensorArgumentException(
                $"{api}: {name} must be a non-empty floating-point mel [bins, frames] or [1, bins, frames]; got {TensorChecks.Describe(mel)}", name);
        return mel;
    }

    /// <summary>Throws unless both mels have the same number of bins (one colour scale over different features misleads).</summary>
    public static void SameBins(float[,] target, float[,] generated, string api)
    {
        if (target.GetLength(0) != generated.GetLength(0))
            throw new ArgumentException(
                $"{api}: target and generated must have the same number of mel bins; got {target.GetLength(0)} and {generated.GetLength(0)}");
    }

    /// <summary>Throws unless the sample rate and hop that place mel frames in time are positive.</summary>
    public static void Grid(int sampleRate, int hopLength, string api)
    {
        if (sampleRate <= 0)
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, $"{api}: sampleRate must be positive (Hz)");
        if (hopLength <= 0)
            throw new ArgumentOutOfRangeException(nameof(hopLength), hopLength, $"{api}: hopLength must be positive (samples per frame)");
    }

    /// <summary>Throws unless <paramref name="path"/> is a non-blank string.</summary>
    public static string Path(string? path, string api, string name) => TensorChecks.Text(path, api, name);
}
