namespace StepAudio.Audio;

/// <summary>
/// Parameters of the matcha/CosyVoice log-mel (<c>mel_conf</c> in cosyvoice.yaml). The defaults are the
/// Step-Audio-EditX values: 24 kHz, n_fft 1920, hop 480, 80 mels, 0–8000 Hz, center=false.
/// </summary>
public sealed record MelParams(
    int NFft = 1920,
    int NumMels = 80,
    int SamplingRate = 24000,
    int HopSize = 480,
    int WinSize = 1920,
    double Fmin = 0,
    double Fmax = 8000,
    bool Center = false)
{
    /// <summary>The upstream Step-Audio-EditX values.</summary>
    public static MelParams StepAudio { get; } = new();

    /// <summary>Frequency bins of the onesided spectrum (n_fft / 2 + 1).</summary>
    public int FreqBins => NFft / 2 + 1;

    /// <summary>Samples of reflect padding on each side, <c>(n_fft − hop) / 2</c> (matcha <c>mel_spectrogram</c>).</summary>
    public int Padding => (NFft - HopSize) / 2;

    /// <summary>Mel frames produced for <paramref name="samples"/> input samples.</summary>
    public int Frames(int samples)
    {
        int padded = samples + 2 * Padding + (Center ? 2 * (NFft / 2) : 0);
        return padded < NFft ? 0 : (padded - NFft) / HopSize + 1;
    }

    /// <summary>Throws <see cref="ArgumentException"/> for values the STFT cannot use.</summary>
    public void Validate()
    {
        if (NFft <= 0 || HopSize <= 0 || WinSize <= 0 || WinSize > NFft || NumMels <= 0 || SamplingRate <= 0)
            throw new ArgumentException($"invalid mel parameters {this}: n_fft, hop, win, num_mels, rate must be > 0 and win ≤ n_fft");
        if (Fmin < 0 || Fmax <= Fmin || Fmax > SamplingRate / 2.0)
            throw new ArgumentException($"invalid mel parameters {this}: need 0 ≤ fmin < fmax ≤ rate/2");
    }
}
