using StepAudio.Audio;
using static TorchSharp.torch;
using Analysis = StepAudio.Audio.Prosody;

namespace StepAudio.Notebooks;

/// <summary>
/// What a notebook cell shows: each method returns a small view value that renders as HTML when it is the cell's
/// result or passed to <c>display(...)</c>. Nothing is drawn until then, so views can be built in a loop and shown later.
/// Arguments are checked here, so a bad one fails in the cell that passed it with an <see cref="ArgumentException"/>.
/// </summary>
public static class Show
{
    /// <summary>A player with waveform, duration and sample rate.</summary>
    public static AudioView Audio(AudioClip clip, string? title = null) =>
        new(ViewChecks.Clip(clip, "Show.Audio", nameof(clip)), title);

    /// <summary>A player for a WAV file (titled with its file name unless <paramref name="title"/> is given).</summary>
    public static AudioView Audio(string wavPath, string? title = null) =>
        Audio(WavFile.Read(ViewChecks.Path(wavPath, "Show.Audio", nameof(wavPath))), title ?? System.IO.Path.GetFileName(wavPath));

    /// <summary>A mel heatmap of <paramref name="mel"/> [bins, frames]; x in seconds, y in mel bins.</summary>
    public static MelView Mel(float[,] mel, int sampleRate = 24000, int hopLength = 480, string? title = null)
    {
        ViewChecks.Mel(mel, "Show.Mel", nameof(mel));
        ViewChecks.Grid(sampleRate, hopLength, "Show.Mel");
        return new(mel, sampleRate, hopLength, title);
    }

    /// <summary>A mel heatmap of a tensor [bins, frames] or [1, bins, frames] (copied to the CPU now).</summary>
    public static MelView Mel(Tensor mel, int sampleRate = 24000, int hopLength = 480, string? title = null)
    {
        ViewChecks.MelTensor(mel, "Show.Mel", nameof(mel));
        return Mel(MelChart.ToArray(mel), sampleRate, hopLength, title);
    }

    /// <summary>Target above generated, one colour scale.</summary>
    public static MelComparison CompareMels(float[,] target, float[,] generated, string targetTitle = "target",
        string generatedTitle = "generated", int sampleRate = 24000, int hopLength = 480, string? title = null)
    {
        const string api = "Show.CompareMels";
        ViewChecks.Mel(target, api, nameof(target));
        ViewChecks.Mel(generated, api, nameof(generated));
        ViewChecks.SameBins(target, generated, api);
        ViewChecks.Grid(sampleRate, hopLength, api);
        return new(target, generated, targetTitle, generatedTitle, sampleRate, hopLength, title);
    }

    /// <summary>Target above generated for tensors [bins, frames] or [1, bins, frames].</summary>
    public static MelComparison CompareMels(Tensor target, Tensor generated, string targetTitle = "target",
        string generatedTitle = "generated", int sampleRate = 24000, int hopLength = 480, string? title = null)
    {
        ViewChecks.MelTensor(target, "Show.CompareMels", nameof(target));
        ViewChecks.MelTensor(generated, "Show.CompareMels", nameof(generated));
        return CompareMels(MelChart.ToArray(target), MelChart.ToArray(generated), targetTitle, generatedTitle, sampleRate, hopLength, title);
    }

    /// <summary>Two players side by side, e.g. the base model and the fine-tuned one.</summary>
    public static AudioComparison CompareAudio(AudioClip a, AudioClip b, string labelA = "before", string labelB = "after",
        string? title = null) =>
        new(ViewChecks.Clip(a, "Show.CompareAudio", nameof(a)), ViewChecks.Clip(b, "Show.CompareAudio", nameof(b)), labelA, labelB, title);

    /// <summary>Two WAV files side by side.</summary>
    public static AudioComparison CompareAudio(string wavA, string wavB, string? labelA = null, string? labelB = null,
        string? title = null)
    {
        ViewChecks.Path(wavA, "Show.CompareAudio", nameof(wavA));
        ViewChecks.Path(wavB, "Show.CompareAudio", nameof(wavB));
        return CompareAudio(WavFile.Read(wavA), WavFile.Read(wavB), labelA ?? System.IO.Path.GetFileName(wavA),
            labelB ?? System.IO.Path.GetFileName(wavB), title);
    }

    /// <summary>
    /// A player, then the clip's 24 kHz mel with its F0 contour over it (Hz on the right) and its energy below, on one
    /// time axis (analysed now: ~15 ms per 10 s).
    /// </summary>
    public static ProsodyView Prosody(AudioClip clip, string? title = null)
    {
        ViewChecks.Clip(clip, "Show.Prosody", nameof(clip), allFinite: true);
        return new(clip, ClipMel.Of(clip), Analysis.Analyze(clip), title);
    }

    /// <summary>
    /// Target against generated (or before against after fine-tuning): both players, both mels on one colour scale,
    /// both F0 contours on one chart, and F0 RMSE, voicing agreement and medians from <see cref="Analysis.Compare(AudioClip, AudioClip, ProsodyOptions?)"/>.
    /// </summary>
    public static ClipComparison Compare(AudioClip target, AudioClip generated, string targetLabel = "target",
        string generatedLabel = "generated", string? title = null)
    {
        ViewChecks.Clip(target, "Show.Compare", nameof(target), allFinite: true);
        ViewChecks.Clip(generated, "Show.Compare", nameof(generated), allFinite: true);
        return new(target, generated, ClipMel.Of(target), ClipMel.Of(generated),
            Analysis.Compare(Analysis.Analyze(target), Analysis.Analyze(generated)), targetLabel, generatedLabel, title);
    }

    /// <summary>
    /// The <c>eval.json</c> of a run (written by <c>stepaudio evaluate</c>, <c>finetune --evaluate</c> or
    /// <see cref="Evaluation.RunEvaluation.Save"/>): before, after and delta per edit type. A folder of runs means its newest.
    /// </summary>
    public static Evaluation.EvaluationReport Evaluation(string runDir)
    {
        var dir = Training.RunFolder.Resolve(ViewChecks.Path(runDir, "Show.Evaluation", nameof(runDir)), nameof(runDir));
        return StepAudio.Evaluation.EvaluationReportJson.Read(System.IO.Path.Combine(dir, StepAudio.Evaluation.RunEvaluation.FileName));
    }

    /// <summary>A run folder: stages, best and final losses, checkpoints with sizes, the loss chart, run facts, config.</summary>
    public static RunOverview Run(string runDir) => RunOverview.Read(ViewChecks.Path(runDir, "Show.Run", nameof(runDir)));
}
