using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Nn;

/// <summary>
/// <c>nn.Conv1d</c> (one group) whose forward is <see cref="GuardedConvolution.Conv1d"/>. Same parameters, names
/// (<c>weight</c>, <c>bias</c>) and initialisation as <c>nn.Conv1d</c>, so state-dict keys and seeded runs are unchanged.
/// </summary>
public sealed class GuardedConv1d : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's.
    /// <summary>[C_out, C_in, k].</summary>
    public Parameter weight;
    /// <summary>[C_out] or null.</summary>
    public Parameter? bias;
#pragma warning restore IDE1006

    public GuardedConv1d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0,
        long dilation = 1, bool hasBias = true) : base("Conv1d")
    {
        using var reference = nn.Conv1d(inChannels, outChannels, kernelSize, bias: hasBias);
        weight = nn.Parameter(reference.weight!.detach().clone());
        bias = hasBias ? nn.Parameter(reference.bias!.detach().clone()) : null;
        (Stride, Padding, Dilation) = (stride, padding, dilation);
        RegisterComponents();
    }

    public long Stride { get; }
    public long Padding { get; }
    public long Dilation { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => GuardedConvolution.Conv1d(x, weight, bias, Stride, Padding, Dilation);
}

/// <summary><c>nn.ConvTranspose1d</c> (one group, no output padding) whose forward is
/// <see cref="GuardedConvolution.ConvTranspose1d"/>; parameters, names and initialisation as <c>nn.ConvTranspose1d</c>.</summary>
public sealed class GuardedConvTranspose1d : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    /// <summary>[C_in, C_out, k].</summary>
    public Parameter weight;
    /// <summary>[C_out] or null.</summary>
    public Parameter? bias;
#pragma warning restore IDE1006

    public GuardedConvTranspose1d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0,
        bool hasBias = true) : base("ConvTranspose1d")
    {
        using var reference = nn.ConvTranspose1d(inChannels, outChannels, kernelSize, bias: hasBias);
        weight = nn.Parameter(reference.weight!.detach().clone());
        bias = hasBias ? nn.Parameter(reference.bias!.detach().clone()) : null;
        (Stride, Padding) = (stride, padding);
        RegisterComponents();
    }

    public long Stride { get; }
    public long Padding { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => GuardedConvolution.ConvTranspose1d(x, weight, bias, Stride, Padding);
}
