using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StepAudio.Flow;

/// <summary>DiT output head (decoder_dit.py <c>FinalLayer</c>): adaLN with two chunks on a no-affine LayerNorm, then Linear.</summary>
public sealed class FinalLayer : nn.Module
{
#pragma warning disable IDE1006
    readonly Sequential adaLN_modulation;
    readonly Linear linear;
#pragma warning restore IDE1006
    readonly long hidden;

    public FinalLayer(int hiddenSize, int outChannels) : base(nameof(FinalLayer))
    {
        hidden = hiddenSize;
        adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hiddenSize, 2 * hiddenSize));
        linear = nn.Linear(hiddenSize, outChannels);
        RegisterComponents();
    }

    /// <summary>x [B, T, C], c [B, 1, C] → [B, T, out].</summary>
    public Tensor Forward(Tensor x, Tensor c)
    {
        using var scope = NewDisposeScope();
        var m = adaLN_modulation.forward(c).chunk(2, -1);
        var h = DitBlock.Modulate(F.layer_norm(x, new[] { hidden }, null, null, 1e-6), m[0], m[1]);
        return linear.forward(h).MoveToOuterDisposeScope();
    }
}
