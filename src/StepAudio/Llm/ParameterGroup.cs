namespace StepAudio.Llm;

/// <summary>Parameter counts of one kind of tensor, summed over layers (<c>model.layers.*.self_attn.q_proj.lora_A.weight</c>).</summary>
public sealed record ParameterGroup(string Name, int Tensors, long Parameters, long Trainable);
