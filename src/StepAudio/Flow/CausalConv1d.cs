using StepAudio.Nn;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StepAudio.Flow;

/// <summary>
/// Conv1d with left padding k−1 (decoder_dit.py <c>CausalConv1d</c>, a subclass of nn.Conv1d, so its keys are
/// <c>weight</c> and <c>bias</c> directly).
/// </summary>
public sealed class CausalConv1d : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    readonly TorchSharp.Modules.Parameter weight;
    readonly TorchSharp.Modules.Parameter bias;
#pragma warning restore IDE1006
    readonly int kernelSize;

    public CausalConv1d(int inChannels, int outChannels, int kernelSize) : base(nameof(CausalConv1d))
    {
        this.kernelSize = kernelSize;
        // Same init as nn.Conv1d: kaiming_uniform(a=√5) on the weight, U(±1/√fan_in) on the bias.
        using var reference = nn.Conv1d(inChannels, outChannels, kernelSize);
        weight = nn.Parameter(reference.weight!.detach().clone());
        bias = nn.Parameter(reference.bias!.detach().clone());
        RegisterComponents();
    }

    /// <summary>x [B, C, T] → [B, C', T].</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var padded = F.pad(x, new long[] { kernelSize - 1, 0 });
        return GuardedConvolution.Conv1d(padded, weight, bias).MoveToOuterDisposeScope();
    }
}
