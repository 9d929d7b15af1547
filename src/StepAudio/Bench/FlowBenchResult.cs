using StepAudio.Flow;

namespace StepAudio.Bench;

/// <summary>One side's figures from <see cref="FlowTrainingBench.Run"/>: median (<paramref name="MsPerStep"/>) and mean step times.</summary>
public sealed record FlowBenchResult(string Size, double Step0Loss, double MsPerStep, double MeanMsPerStep, int Steps, int Threads,
    long TrainableParameters);
