using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// The DiT block's convolution branch (decoder_dit.py <c>CausalConvBlock</c>): upstream's
/// <c>Sequential(Transpose, CausalConv1d, Transpose, LayerNorm, Mish, Transpose, CausalConv1d, Transpose)</c>, kept
/// with the same indices so the keys are <c>block.1</c>, <c>block.3</c>, <c>block.6</c>. Like upstream's
/// <c>DiTBlock.forward</c>, it is called without a mask.
/// </summary>
public sealed class CausalConvBlock : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    readonly Sequential block;
#pragma warning restore IDE1006

    public CausalConvBlock(int inChannels, int outChannels, int kernelSize = 3) : base(nameof(CausalConvBlock))
    {
        block = nn.Sequential(
            new Transpose(1, 2), new CausalConv1d(inChannels, outChannels, kernelSize), new Transpose(1, 2),
            nn.LayerNorm(outChannels, 1e-5), nn.Mish(),
            new Transpose(1, 2), new CausalConv1d(outChannels, outChannels, kernelSize), new Transpose(1, 2));
        RegisterComponents();
    }

    /// <summary>x [B, T, C] → [B, T, C].</summary>
    public override Tensor forward(Tensor x) => block.forward(x);
}
