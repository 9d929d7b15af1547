using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace StepAudio.Llm;

/// <summary>
/// Step-Audio-EditX's LLM (modeling_step1.py <c>Step1ForCausalLM</c>): <see cref="Step1Model"/> plus an untied
/// <c>lm_head</c>. State-dict keys are upstream's (<c>model.layers.0.self_attn.q_proj.weight</c>, <c>lm_head.weight</c>).
/// </summary>
public sealed class Step1ForCausalLM : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's.
    /// <summary>The decoder stack.</summary>
    public Step1Model model;
    /// <summary>Output projection [hidden → vocab], not tied to the embedding.</summary>
    public Linear lm_head;
#pragma warning restore IDE1006

    /// <summary>The configuration this was built from.</summary>
    public Step1Config Config => model.Config;

    /// <summary>
    /// Creates the model with random weights. <paramref name="device"/> <c>meta</c> builds shapes only (no memory),
    /// which is how <c>Step1Checkpoint</c> loads real weights and how parameter counts of the 3.5 B model are taken.
    /// </summary>
    public Step1ForCausalLM(Step1Config config, Device? device = null, ScalarType? dtype = null) : base("Step1ForCausalLM")
    {
        model = new Step1Model(config, device, dtype);
        lm_head = Linear(config.HiddenSize, config.VocabSize, hasBias: false, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>Logits [B, S, vocab] for <paramref name="inputIds"/> [B, S].</summary>
    public override Tensor forward(Tensor inputIds) => forward(inputIds, null, null);

    /// <summary>Logits with an optional KV cache and hidden-state capture (see <see cref="Step1Model.forward(Tensor, Step1KvCache?, List{Tensor}?)"/>).</summary>
    public Tensor forward(Tensor inputIds, Step1KvCache? cache, List<Tensor>? hiddenStates = null)
    {
        using var scope = NewDisposeScope();
        var h = model.forward(inputIds, cache, hiddenStates);
        return lm_head.call(h).MoveToOuterDisposeScope();
    }

    /// <summary>Logits and the shifted next-token loss (<see cref="CausalLmLoss"/>) for right-padded labels.</summary>
    public (Tensor Logits, Tensor Loss) forward(Tensor inputIds, Tensor labels)
    {
        var logits = forward(inputIds);
        return (logits, CausalLmLoss.Compute(logits, labels));
    }
}
