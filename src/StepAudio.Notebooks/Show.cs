using StepAudio.Audio;
using static TorchSharp.torch;

namespace StepAudio.Notebooks;

/// <summary>
/// What a notebook cell shows: each method returns a small view value that renders as HTML when it is the cell's
/// result or passed to <c>display(...)</c>. Nothing is drawn until then, so views can be built in a loop and shown later.
/// </summary>
public static class Show
{
    /// <summary>A player with waveform, duration and sample rate.</summary>
    public static AudioView Audio(AudioClip clip, string? title = null) => new(clip, title);

    /// <summary>A player for a WAV file (titled with its file name unless <paramref name="title"/> is given).</summary>
    public static AudioView Audio(string wavPath, string? title = null) => new(WavFile.Read(wavPath), title ?? Path.GetFileName(wavPath));

    /// <summary>A mel heatmap of <paramref name="mel"/> [bins, frames]; x in seconds, y in mel bins.</summary>
    public static MelView Mel(float[,] mel, int sampleRate = 24000, int hopLength = 480, string? title = null) =>
        new(mel, sampleRate, hopLength, title);

    /// <summary>A mel heatmap of a tensor [bins, frames] or [1, bins, frames] (copied to the CPU now).</summary>
    public static MelView Mel(Tensor mel, int sampleRate = 24000, int hopLength = 480, string? title = null) =>
        new(MelChart.ToArray(mel), sampleRate, hopLength, title);

    /// <summary>Target above generated, one colour scale.</summary>
    public static MelComparison CompareMels(float[,] target, float[,] generated, string targetTitle = "target",
        string generatedTitle = "generated", int sampleRate = 24000, int hopLength = 480, string? title = null) =>
        new(target, generated, targetTitle, generatedTitle, sampleRate, hopLength, title);

    /// <summary>Target above generated for tensors [bins, frames] or [1, bins, frames].</summary>
    public static MelComparison CompareMels(Tensor target, Tensor generated, string targetTitle = "target",
        string generatedTitle = "generated", int sampleRate = 24000, int hopLength = 480, string? title = null) =>
        new(MelChart.ToArray(target), MelChart.ToArray(generated), targetTitle, generatedTitle, sampleRate, hopLength, title);

    /// <summary>Two players side by side, e.g. the base model and the fine-tuned one.</summary>
    public static AudioComparison CompareAudio(AudioClip a, AudioClip b, string labelA = "before", string labelB = "after",
        string? title = null) => new(a, b, labelA, labelB, title);

    /// <summary>Two WAV files side by side.</summary>
    public static AudioComparison CompareAudio(string wavA, string wavB, string? labelA = null, string? labelB = null,
        string? title = null) =>
        new(WavFile.Read(wavA), WavFile.Read(wavB), labelA ?? Path.GetFileName(wavA), labelB ?? Path.GetFileName(wavB), title);

    /// <summary>A run folder: stages, best and final losses, checkpoints with sizes, the loss chart, run facts, config.</summary>
    public static RunOverview Run(string runDir) => RunOverview.Read(runDir);
}
