using Plotly.NET;
using StepAudio.Audio;

namespace StepAudio.Notebooks;

// What the Show factories return: small values whose text/html formatters (NotebookFormatters) draw them, so a cell
// ending in Show.Audio(clip) displays a player, and display(...) works on them too.

/// <summary>A clip with an optional title, shown as a player with its waveform.</summary>
public sealed record AudioView(AudioClip Clip, string? Title = null);

/// <summary>Two clips side by side (e.g. before and after fine-tuning).</summary>
public sealed record AudioComparison(AudioClip A, AudioClip B, string LabelA, string LabelB, string? Title = null);

/// <summary>A mel spectrogram [bins, frames] shown as a heatmap; <see cref="Chart"/> gives the Plotly chart to restyle.</summary>
public sealed record MelView(float[,] Mel, int SampleRate = 24000, int HopLength = 480, string? Title = null)
{
    public GenericChart Chart => MelChart.Heatmap(Mel, SampleRate, HopLength, Title);
}

/// <summary>Two mels one above the other on one colour scale; <see cref="Chart"/> gives the Plotly chart.</summary>
public sealed record MelComparison(float[,] Target, float[,] Generated, string TargetTitle = "target",
    string GeneratedTitle = "generated", int SampleRate = 24000, int HopLength = 480, string? Title = null)
{
    public GenericChart Chart => MelChart.Compare(Target, Generated, TargetTitle, GeneratedTitle, SampleRate, HopLength, Title);
}
