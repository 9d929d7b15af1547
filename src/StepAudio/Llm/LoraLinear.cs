using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace StepAudio.Llm;

/// <summary>
/// A frozen linear layer with a PEFT LoRA branch (peft/tuners/lora/layer.py):
/// <c>y = x Wᵀ + lora_B(lora_A(dropout(x))) · scaling</c>, dropout on the LoRA input only, A kaiming-uniform(a=√5),
/// B zeros, so a fresh adapter changes nothing. While merged, <c>W</c> holds <c>W + scaling·B·A</c> and forward is
/// the base layer alone. State-dict names: <c>weight</c>, <c>lora_A.weight</c>, <c>lora_B.weight</c>.
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's.
    /// <summary>The base weight [out, in] (frozen).</summary>
    public Parameter weight;
    /// <summary>Down projection [in → r].</summary>
    public Linear lora_A;
    /// <summary>Up projection [r → out].</summary>
    public Linear lora_B;
#pragma warning restore IDE1006
    readonly Dropout? dropout;

    /// <summary>The LoRA branch multiplier (alpha/r, or alpha/√r with rsLoRA).</summary>
    public double Scaling { get; }
    /// <summary>Rank.</summary>
    public int R { get; }
    /// <summary>Whether the LoRA product is currently added into <see cref="weight"/>.</summary>
    public bool Merged { get; private set; }

    /// <summary>Wraps <paramref name="baseWeight"/> [out, in] (taken over, not copied) with a fresh adapter.</summary>
    public LoraLinear(Parameter baseWeight, LoraConfig config) : base("LoraLinear")
    {
        if (baseWeight.dim() != 2) throw new ArgumentException("LoRA needs a 2-D linear weight");
        long outF = baseWeight.shape[0], inF = baseWeight.shape[1];
        weight = baseWeight;
        weight.requires_grad = false;
        var device = baseWeight.device;
        var dtype = baseWeight.dtype;
        lora_A = Linear(inF, config.R, hasBias: false, device: device, dtype: dtype);
        lora_B = Linear(config.R, outF, hasBias: false, device: device, dtype: dtype);
        if (device.type != DeviceType.META)
        {
            using var _ = no_grad();
            init.kaiming_uniform_(lora_A.weight, a: Math.Sqrt(5));
            init.zeros_(lora_B.weight);
        }
        dropout = config.Dropout > 0 ? Dropout(config.Dropout) : null;
        Scaling = config.Scaling;
        R = config.R;
        RegisterComponents();
    }

    /// <summary>Replaces the base weight (checkpoint loading onto a shape-only model).</summary>
    internal void SetWeight(Parameter value)
    {
        weight = value;
        ConditionallyRegisterParameter(nameof(weight), value);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = functional.linear(x, weight);
        if (Merged) return y.MoveToOuterDisposeScope();
        var a = x.to_type(lora_A.weight.dtype);
        if (dropout is not null) a = dropout.call(a);
        var delta = lora_B.call(lora_A.call(a)) * Scaling;
        return (y + delta.to_type(y.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary><c>scaling · B·A</c> [out, in], computed in float32 and cast to the base dtype (PEFT get_delta_weight).</summary>
    public Tensor DeltaWeight()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var b = lora_B.weight.to_type(ScalarType.Float32);
        var a = lora_A.weight.to_type(ScalarType.Float32);
        return (mm(b, a) * Scaling).to_type(weight.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Adds the LoRA product into the base weight; forward then skips the branch.</summary>
    public void Merge()
    {
        if (Merged) return;
        using var _ = no_grad();
        using var d = DeltaWeight();
        weight.add_(d);
        Merged = true;
    }

    /// <summary>Subtracts the LoRA product again.</summary>
    public void Unmerge()
    {
        if (!Merged) return;
        using var _ = no_grad();
        using var d = DeltaWeight();
        weight.sub_(d);
        Merged = false;
    }
}
