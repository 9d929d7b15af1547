using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace StepAudio.Llm;

/// <summary>Step1's SwiGLU MLP: <c>down_proj(silu(gate_proj(x)) · up_proj(x))</c>, no biases.</summary>
public sealed class Step1Mlp : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's.
    /// <summary>Gate projection [hidden → intermediate].</summary>
    public Module<Tensor, Tensor> gate_proj;
    /// <summary>Up projection [hidden → intermediate].</summary>
    public Module<Tensor, Tensor> up_proj;
    /// <summary>Down projection [intermediate → hidden].</summary>
    public Module<Tensor, Tensor> down_proj;
#pragma warning restore IDE1006

    /// <summary>Creates the MLP for <paramref name="config"/>.</summary>
    public Step1Mlp(Step1Config config, Device? device = null, ScalarType? dtype = null) : base("Step1Mlp")
    {
        gate_proj = Linear(config.HiddenSize, config.IntermediateSize, hasBias: false, device: device, dtype: dtype);
        up_proj = Linear(config.HiddenSize, config.IntermediateSize, hasBias: false, device: device, dtype: dtype);
        down_proj = Linear(config.IntermediateSize, config.HiddenSize, hasBias: false, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>The projection named <paramref name="name"/> (<c>gate_proj</c>, <c>up_proj</c>, <c>down_proj</c>).</summary>
    public Module<Tensor, Tensor> Projection(string name) => name switch
    {
        "gate_proj" => gate_proj, "up_proj" => up_proj, "down_proj" => down_proj,
        _ => throw new ArgumentException($"Step1Mlp has no projection '{name}'"),
    };

    /// <summary>Replaces a projection (LoRA injection); the state-dict name stays the same.</summary>
    public void ReplaceProjection(string name, Module<Tensor, Tensor> module)
    {
        _ = Projection(name);
        register_module(name, null!);
        register_module(name, module);
        switch (name)
        {
            case "gate_proj": gate_proj = module; break;
            case "up_proj": up_proj = module; break;
            default: down_proj = module; break;
        }
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = functional.silu(gate_proj.call(x)) * up_proj.call(x);
        return down_proj.call(h).MoveToOuterDisposeScope();
    }
}
