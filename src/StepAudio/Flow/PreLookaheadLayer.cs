using StepAudio.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StepAudio.Flow;

/// <summary>
/// Look-ahead convolution (upsample_encoder_v2.py <c>PreLookaheadLayer</c>): right-pad by <c>pre_lookahead_len</c>,
/// conv1 (k = len + 1), leaky ReLU, left-pad 2, conv2 (k = 3), residual.
/// </summary>
public sealed class PreLookaheadLayer : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    readonly GuardedConv1d conv1;
    readonly GuardedConv1d conv2;
#pragma warning restore IDE1006

    public PreLookaheadLayer(int channels, int preLookaheadLen) : base(nameof(PreLookaheadLayer))
    {
        PreLookaheadLen = preLookaheadLen;
        conv1 = new GuardedConv1d(channels, channels, preLookaheadLen + 1);
        conv2 = new GuardedConv1d(channels, channels, 3);
        RegisterComponents();
    }

    /// <summary>How many future frames each output frame sees.</summary>
    public int PreLookaheadLen { get; }

    /// <summary>inputs [B, T, C] → [B, T, C].</summary>
    public override Tensor forward(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        var x = inputs.transpose(1, 2);
        x = F.pad(x, new long[] { 0, PreLookaheadLen });
        x = F.leaky_relu(conv1.call(x), 0.01);
        x = F.pad(x, new long[] { 2, 0 });
        x = conv2.call(x).transpose(1, 2);
        return (x + inputs).MoveToOuterDisposeScope();
    }
}
