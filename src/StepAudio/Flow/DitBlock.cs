using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StepAudio.Flow;

/// <summary>
/// One DiT block with adaLN-Zero conditioning (decoder_dit.py <c>DiTBlock</c>): nine shift/scale/gate chunks from
/// SiLU → Linear(c); then attention, the causal conv block and the MLP, in that order, each on a modulated
/// no-affine LayerNorm (eps 1e-6) and added back through its gate.
/// </summary>
public sealed class DitBlock : nn.Module
{
#pragma warning disable IDE1006
    readonly DitAttention attn;
    readonly DitMlp mlp;
    readonly CausalConvBlock conv;
    readonly Sequential adaLN_modulation;
#pragma warning restore IDE1006
    readonly long hidden;

    public DitBlock(int hiddenSize, int numHeads, int headDim, double mlpRatio) : base(nameof(DitBlock))
    {
        hidden = hiddenSize;
        attn = new DitAttention(hiddenSize, numHeads, headDim);
        mlp = new DitMlp(hiddenSize, (int)(hiddenSize * mlpRatio));
        conv = new CausalConvBlock(hiddenSize, hiddenSize, 3);
        adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hiddenSize, 9 * hiddenSize));
        RegisterComponents();
    }

    /// <summary>x [B, T, C], c [B, 1, C], keyMask [B, 1, 1, T] bool → [B, T, C].</summary>
    public Tensor Forward(Tensor x, Tensor c, Tensor keyMask)
    {
        using var scope = NewDisposeScope();
        var m = adaLN_modulation.forward(c).chunk(9, -1);
        // chunks: shift/scale/gate for msa, mlp, conv
        x = x + m[2] * attn.Forward(Modulate(Norm(x), m[0], m[1]), keyMask);
        x = x + m[8] * conv.forward(Modulate(Norm(x), m[6], m[7]));
        x = x + m[5] * mlp.forward(Modulate(Norm(x), m[3], m[4]));
        return x.MoveToOuterDisposeScope();
    }

    Tensor Norm(Tensor x) => F.layer_norm(x, new[] { hidden }, null, null, 1e-6);

    /// <summary>x·(1 + scale) + shift.</summary>
    internal static Tensor Modulate(Tensor x, Tensor shift, Tensor scale) => x * (scale + 1) + shift;
}
