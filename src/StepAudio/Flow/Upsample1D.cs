using StepAudio.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StepAudio.Flow;

/// <summary>
/// The encoder's <c>up_layer</c> (upsample_encoder_v2.py <c>Upsample1D</c>): nearest interpolation by
/// <c>scale_factor</c>, left zero-pad of 2·stride, Conv1d(k = 2·stride + 1). Lengths scale by <c>stride</c>.
/// </summary>
public sealed class Upsample1D : nn.Module
{
#pragma warning disable IDE1006
    readonly GuardedConv1d conv;
#pragma warning restore IDE1006

    public Upsample1D(int channels, int outChannels, int stride, double scaleFactor) : base(nameof(Upsample1D))
    {
        Stride = stride;
        ScaleFactor = scaleFactor;
        conv = new GuardedConv1d(channels, outChannels, stride * 2 + 1);
        RegisterComponents();
    }

    public int Stride { get; }
    public double ScaleFactor { get; }

    /// <summary>inputs [B, C, T] → ([B, C', ⌊T·scale⌋], lengths·stride).</summary>
    public (Tensor Outputs, Tensor Lengths) Forward(Tensor inputs, Tensor inputLengths)
    {
        using var scope = NewDisposeScope();
        var up = Nearest(inputs, ScaleFactor);
        up = F.pad(up, new long[] { Stride * 2, 0 });
        var outputs = conv.call(up);
        return (outputs.MoveToOuterDisposeScope(), (inputLengths * Stride).MoveToOuterDisposeScope());
    }

    /// <summary>F.interpolate(mode="nearest", scale_factor=s) on the last axis.</summary>
    static Tensor Nearest(Tensor x, double scale)
    {
        if (scale == Math.Floor(scale) && scale >= 1) return x.repeat_interleave((long)scale, 2);
        long tIn = x.size(2), tOut = (long)Math.Floor(tIn * scale);
        // PyTorch: src = min(floor(dst * (1/scale)), T_in - 1), computed in float32.
        var src = (arange(tOut, ScalarType.Float32) * (float)(1.0 / scale)).floor().to_type(ScalarType.Int64)
            .clamp_max(tIn - 1).to(x.device);
        return x.index_select(2, src);
    }
}
