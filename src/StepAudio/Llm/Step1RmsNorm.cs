using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Llm;

/// <summary>
/// Step1's RMSNorm (modeling_step1.py): <c>weight * x * rsqrt(mean(x²) + eps)</c> with the variance computed in
/// float32 and the result cast back to the input dtype before the weight is applied. No bias.
/// </summary>
public sealed class Step1RmsNorm : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's.
    /// <summary>The per-channel gain (<c>weight</c>).</summary>
    public Parameter weight;
#pragma warning restore IDE1006
    readonly double eps;

    /// <summary>Creates the norm with a gain of ones.</summary>
    public Step1RmsNorm(long size, double eps, Device? device = null, ScalarType? dtype = null) : base("Step1RmsNorm")
    {
        weight = new Parameter(ones(size, dtype ?? ScalarType.Float32, device));
        this.eps = eps;
        RegisterComponents();
    }

    /// <summary>Replaces the gain tensor (checkpoint loading onto a shape-only model).</summary>
    internal void SetWeight(Parameter value)
    {
        weight = value;
        ConditionallyRegisterParameter(nameof(weight), value);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var inputType = x.dtype;
        var h = x.to_type(ScalarType.Float32);
        var variance = h.pow(2).mean(new long[] { -1 }, keepdim: true);
        h = h * rsqrt(variance + eps);
        return (weight * h.to_type(inputType)).MoveToOuterDisposeScope();
    }
}
