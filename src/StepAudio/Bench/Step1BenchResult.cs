using StepAudio.Llm;

namespace StepAudio.Bench;

/// <summary>Step-0 loss and time per LoRA training step (forward, loss, backward, AdamW).</summary>
public sealed record Step1BenchResult(string Name, double Step0Loss, double MsPerStep, int TimedSteps, int Threads);
