namespace StepAudio.Audio;

/// <summary>Settings of <see cref="Prosody.Analyze"/>.</summary>
/// <param name="Mel">The mel whose frame grid the contour follows (default: 24 kHz, hop 480 = 20 ms).</param>
/// <param name="MinF0">Lowest pitch searched, Hz (60 covers low male voices).</param>
/// <param name="MaxF0">Highest pitch searched, Hz (500 covers raised female and child voices).</param>
/// <param name="YinThreshold">YIN's absolute threshold on the normalised difference: a frame is voiced when a dip goes below it.</param>
/// <param name="LowPassHz">Cutoff of the low-pass the pitch search reads (0 = none); energy is measured unfiltered.</param>
/// <param name="SilenceDb">Frames with RMS below this (dBFS) are silent: never voiced, left out of the energy mean.</param>
public sealed record ProsodyOptions(
    MelParams? Mel = null,
    double MinF0 = 60,
    double MaxF0 = 500,
    double YinThreshold = 0.15,
    double LowPassHz = 1000,
    double SilenceDb = -50)
{
    /// <summary>The defaults.</summary>
    public static ProsodyOptions Default { get; } = new();

    /// <summary>The mel grid in use.</summary>
    public MelParams Grid => Mel ?? MelParams.StepAudio;

    /// <summary>Throws <see cref="ArgumentException"/> for values the analysis cannot use.</summary>
    public void Validate()
    {
        Grid.Validate();
        if (!(MinF0 > 0) || !(MaxF0 > MinF0))
            throw new ArgumentException($"need 0 < MinF0 < MaxF0, got {MinF0} and {MaxF0}");
        if (!(YinThreshold > 0) || !(YinThreshold < 1))
            throw new ArgumentException($"YinThreshold must lie in (0, 1), got {YinThreshold}");
    }
}
