using StepAudio.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Vocoder;

/// <summary>
/// HiFi-GAN/BigVGAN residual block with Snake activations (hifigan/generator.py <c>ResBlock</c>): for each dilation,
/// <c>x += conv2(snake2(conv1_dilated(snake1(x))))</c>. Lengths are preserved ("same" padding).
/// </summary>
public sealed class ResBlock : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's
    readonly ModuleList<GuardedConv1d> convs1 = new();
    readonly ModuleList<GuardedConv1d> convs2 = new();
    readonly ModuleList<Snake> activations1 = new();
    readonly ModuleList<Snake> activations2 = new();
#pragma warning restore IDE1006

    /// <summary>A block of <paramref name="channels"/> channels, one conv pair per dilation.</summary>
    public ResBlock(long channels, int kernelSize, IReadOnlyList<int> dilations) : base(nameof(ResBlock))
    {
        foreach (var d in dilations)
        {
            convs1.Add(new GuardedConv1d(channels, channels, kernelSize, stride: 1, padding: Padding(kernelSize, d), dilation: d));
            convs2.Add(new GuardedConv1d(channels, channels, kernelSize, stride: 1, padding: Padding(kernelSize, 1)));
            activations1.Add(new Snake(channels));
            activations2.Add(new Snake(channels));
        }
        RegisterComponents();
    }

    /// <summary>upstream <c>get_padding</c>: the padding that keeps the length of a dilated, stride-1 conv.</summary>
    public static int Padding(int kernelSize, int dilation) => (kernelSize * dilation - dilation) / 2;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        for (int i = 0; i < convs1.Count; i++)
            x = convs2[i].call(activations2[i].call(convs1[i].call(activations1[i].call(x)))) + x;
        return x.MoveToOuterDisposeScope();
    }
}
