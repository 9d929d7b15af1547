using Plotly.NET;
using StepAudio.Audio;

namespace StepAudio.Notebooks;

/// <summary>
/// A clip with its 24 kHz mel and its pitch and energy contour (frame k = mel column k), from <see cref="Show.Prosody"/>;
/// shown as the player above <see cref="Chart"/>.
/// </summary>
public sealed record ProsodyView(AudioClip Clip, float[,] Mel, ProsodyContour Contour, string? Title = null)
{
    /// <summary>The mel with the F0 contour over it and the energy below.</summary>
    public GenericChart Chart => ProsodyChart.Contour(Mel, Contour);
}

/// <summary>
/// Target against generated (or before against after fine-tuning), from <see cref="Show.Compare"/>: both clips, their
/// mels and <see cref="Prosody.Compare(ProsodyContour, ProsodyContour)"/>'s alignment and pitch error.
/// </summary>
public sealed record ClipComparison(AudioClip Target, AudioClip Generated, float[,] TargetMel, float[,] GeneratedMel,
    ProsodyComparison Prosody, string TargetLabel = "target", string GeneratedLabel = "generated", string? Title = null)
{
    /// <summary>Both F0 contours on one axis, both energies below.</summary>
    public GenericChart Pitch => ProsodyChart.Compare(Prosody, TargetLabel, GeneratedLabel);

    /// <summary>Both mels on one colour scale, columns at the contour's frame times so they line up with <see cref="Pitch"/>.</summary>
    public GenericChart Mels => MelChart.Compare(TargetMel, GeneratedMel, TargetLabel, GeneratedLabel,
        MelParams.StepAudio.SamplingRate, MelParams.StepAudio.HopSize, "mel: " + TargetLabel + " vs " + GeneratedLabel,
        Prosody.Times.Length > 0 ? Prosody.Times[0] : 0);
}
