using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace StepAudio.Llm;

/// <summary>
/// Step1 self-attention (modeling_step1.py <c>StepAttention</c>, torch fallback path): q from all heads, k and v from
/// <c>num_attention_groups</c> heads repeated with <c>repeat_interleave</c> (query head h uses group
/// h / (heads/groups)), the causal sqrt-ALiBi bias added to the scores, softmax scale 1/√head_dim. No biases, no RoPE.
/// The projections are plain <see cref="Module{T,TResult}"/> fields so LoRA can replace them in place.
/// </summary>
public sealed class Step1Attention : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's.
    /// <summary>Query projection [hidden → hidden].</summary>
    public Module<Tensor, Tensor> q_proj;
    /// <summary>Key projection [hidden → groups·head_dim].</summary>
    public Module<Tensor, Tensor> k_proj;
    /// <summary>Value projection [hidden → groups·head_dim].</summary>
    public Module<Tensor, Tensor> v_proj;
    /// <summary>Output projection [hidden → hidden].</summary>
    public Module<Tensor, Tensor> o_proj;
#pragma warning restore IDE1006
    readonly int heads, groups, headDim;

    /// <summary>Creates the attention block for <paramref name="config"/>.</summary>
    public Step1Attention(Step1Config config, Device? device = null, ScalarType? dtype = null) : base("Step1Attention")
    {
        heads = config.NumAttentionHeads;
        groups = config.NumAttentionGroups;
        headDim = config.HeadDim;
        long h = config.HiddenSize, kv = (long)groups * headDim;
        q_proj = Linear(h, h, hasBias: false, device: device, dtype: dtype);
        k_proj = Linear(h, kv, hasBias: false, device: device, dtype: dtype);
        v_proj = Linear(h, kv, hasBias: false, device: device, dtype: dtype);
        o_proj = Linear(h, h, hasBias: false, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>The projection named <paramref name="name"/> (<c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c>, <c>o_proj</c>).</summary>
    public Module<Tensor, Tensor> Projection(string name) => name switch
    {
        "q_proj" => q_proj, "k_proj" => k_proj, "v_proj" => v_proj, "o_proj" => o_proj,
        _ => throw new ArgumentException($"Step1Attention has no projection '{name}'"),
    };

    /// <summary>Replaces a projection (LoRA injection); the state-dict name stays the same.</summary>
    public void ReplaceProjection(string name, Module<Tensor, Tensor> module)
    {
        _ = Projection(name);
        register_module(name, null!);
        register_module(name, module);
        switch (name)
        {
            case "q_proj": q_proj = module; break;
            case "k_proj": k_proj = module; break;
            case "v_proj": v_proj = module; break;
            default: o_proj = module; break;
        }
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => forward(x, null, null, -1);

    /// <summary>
    /// Attends <paramref name="x"/> [B, S, hidden]. With a cache, the new keys/values of layer
    /// <paramref name="layer"/> are appended and the queries attend to everything cached. <paramref name="bias"/> is
    /// the ALiBi bias [heads, S, keys] (computed here when null; the model computes it once for all layers).
    /// </summary>
    public Tensor forward(Tensor x, Tensor? bias, Step1KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], s = x.shape[1];
        var q = q_proj.call(x).view(b, s, heads, headDim).transpose(1, 2);   // [B, H, S, D]
        var k = k_proj.call(x).view(b, s, groups, headDim).transpose(1, 2);  // [B, G, S, D]
        var v = v_proj.call(x).view(b, s, groups, headDim).transpose(1, 2);
        if (cache is not null) (k, v) = cache.Append(layer, k, v);
        long kvLen = k.shape[2];
        int rep = heads / groups;
        if (rep > 1)
        {
            k = k.repeat_interleave(rep, dim: 1);
            v = v.repeat_interleave(rep, dim: 1);
        }
        bias ??= Step1Alibi.Bias(heads, s, kvLen, x.device);   // [H, S, kvLen]
        if (bias.shape[1] != s || bias.shape[2] != kvLen)
            throw new ArgumentException($"ALiBi bias [{string.Join(", ", bias.shape)}] does not fit {s} queries and {kvLen} keys");
        if (bias.dtype != q.dtype) bias = bias.to_type(q.dtype);
        var o = functional.scaled_dot_product_attention(q, k, v, bias.unsqueeze(0));  // [B, H, S, D]
        o = o.transpose(1, 2).reshape(b, s, heads * headDim);
        return o_proj.call(o).MoveToOuterDisposeScope();
    }
}
