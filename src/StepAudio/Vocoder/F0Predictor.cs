// Mirrors stepvocoder/cosyvoice2/hifigan/f0_predictor.py (ConvRNNF0Predictor).
using StepAudio.Nn;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Vocoder;

/// <summary>
/// HiFT's F0 predictor (hifigan/f0_predictor.py <c>ConvRNNF0Predictor</c>): five k=3 convolutions with ELU
/// (<c>condnet.0,2,4,6,8</c>), a linear classifier and <c>abs</c>. <c>mel [B, in, T] → f0 [B, T]</c> in Hz.
/// </summary>
public sealed class ConvRNNF0Predictor : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's
    public readonly Sequential condnet;
    public readonly Linear classifier;
#pragma warning restore IDE1006

    /// <summary>Upstream's <c>ConvRNNF0Predictor(num_class, in_channels, cond_channels)</c>.</summary>
    public ConvRNNF0Predictor(int numClass, int inChannels, int condChannels) : base(nameof(ConvRNNF0Predictor))
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (int i = 0; i < 5; i++)
        {
            layers.Add(((2 * i).ToString(), new GuardedConv1d(i == 0 ? inChannels : condChannels, condChannels, 3, padding: 1)));
            layers.Add(((2 * i + 1).ToString(), nn.ELU()));
        }
        condnet = nn.Sequential(layers);
        classifier = nn.Linear(condChannels, numClass);
        RegisterComponents();
    }

    public override Tensor forward(Tensor mel)
    {
        using var scope = NewDisposeScope();
        var x = condnet.call(mel).transpose(1, 2);      // [B, T, C]
        return classifier.call(x).squeeze(-1).abs().MoveToOuterDisposeScope(); // [B, T] (num_class 1)
    }
}
