using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Llm;

/// <summary>
/// One pre-norm Step1 block: <c>h = x + self_attn(input_layernorm(x))</c>,
/// <c>y = h + mlp(post_attention_layernorm(h))</c>.
/// </summary>
public sealed class Step1DecoderLayer : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's.
    /// <summary>Attention.</summary>
    public Step1Attention self_attn;
    /// <summary>SwiGLU MLP.</summary>
    public Step1Mlp mlp;
    /// <summary>Norm before attention.</summary>
    public Step1RmsNorm input_layernorm;
    /// <summary>Norm before the MLP.</summary>
    public Step1RmsNorm post_attention_layernorm;
#pragma warning restore IDE1006

    /// <summary>Creates the block for <paramref name="config"/>.</summary>
    public Step1DecoderLayer(Step1Config config, Device? device = null, ScalarType? dtype = null) : base("Step1DecoderLayer")
    {
        self_attn = new Step1Attention(config, device, dtype);
        mlp = new Step1Mlp(config, device, dtype);
        input_layernorm = new Step1RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        post_attention_layernorm = new Step1RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => forward(x, null, null, -1);

    /// <summary>Runs the block; see <see cref="Step1Attention.forward(Tensor, Tensor?, Step1KvCache?, int)"/>.</summary>
    public Tensor forward(Tensor x, Tensor? bias, Step1KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        var h = x + self_attn.forward(input_layernorm.forward(x), bias, cache, layer);
        return (h + mlp.forward(post_attention_layernorm.forward(h))).MoveToOuterDisposeScope();
    }
}
