using StepAudio.Llm;

namespace StepAudio.Checkpoints;

/// <summary>A loaded Step1 model and what the loader found.</summary>
public sealed record Step1LoadResult(Step1ForCausalLM Model, CheckpointLoadReport Report);
