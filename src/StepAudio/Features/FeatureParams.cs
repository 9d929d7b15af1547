using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StepAudio.Audio;

namespace StepAudio.Features;

/// <summary>
/// What a cached feature entry depends on besides the audio bytes: the log-mel parameters (whose
/// <c>SamplingRate</c> is the rate clips are resampled to) and the resampler settings. Entries written with other
/// parameters, or by another <see cref="FormatVersion"/>, are never trusted.
/// </summary>
public sealed record FeatureParams(MelParams Mel)
{
    /// <summary>Bumped whenever the stored layout or the feature maths change; older entries are rebuilt.</summary>
    public const int FormatVersion = 1;

    /// <summary>The upstream Step-Audio-EditX features (24 kHz matcha log-mel).</summary>
    public static FeatureParams StepAudio { get; } = new(MelParams.StepAudio);

    /// <summary>Rate every clip is resampled to before the mel (the mel's sampling rate).</summary>
    public int SampleRate => Mel.SamplingRate;

    /// <summary>Canonical JSON of the parameters (stored in each entry and hashed into its key).</summary>
    public string ToJson() => JsonSerializer.Serialize(new
    {
        n_fft = Mel.NFft, num_mels = Mel.NumMels, sampling_rate = Mel.SamplingRate, hop_size = Mel.HopSize,
        win_size = Mel.WinSize, fmin = Mel.Fmin, fmax = Mel.Fmax, center = Mel.Center,
        target_sample_rate = SampleRate,
        resampler = "torchaudio sinc_interp_hann lowpass_filter_width=6 rolloff=0.99",
        downmix = "mean",
    });

    /// <summary>Short hex hash of <see cref="ToJson"/>, part of every entry's file name.</summary>
    public string Hash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ToJson())))[..16];
}
