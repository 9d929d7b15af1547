using StepAudio.Llm;

namespace StepAudio.Bench;

/// <summary>Peak resident memory while loading a checkpoint, against its size on disk.</summary>
public sealed record Step1LoaderBenchResult(long CheckpointBytes, long RssBeforeBytes, long PeakRssBytes, double Seconds)
{
    /// <summary>Peak RSS of the whole process (runtime and libtorch included) over the checkpoint size.</summary>
    public double PeakOverSize => (double)PeakRssBytes / CheckpointBytes;
    /// <summary>Peak RSS growth during the load over the checkpoint size.</summary>
    public double GrowthOverSize => (double)(PeakRssBytes - RssBeforeBytes) / CheckpointBytes;
}
