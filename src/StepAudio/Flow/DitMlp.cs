using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>DiT feed-forward (decoder_dit.py <c>MLP</c> with GELU(approximate="tanh")): fc2(gelu(fc1(x))).</summary>
public sealed class DitMlp : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    readonly Linear fc1;
    readonly Linear fc2;
#pragma warning restore IDE1006

    public DitMlp(int inFeatures, int hiddenFeatures) : base(nameof(DitMlp))
    {
        fc1 = nn.Linear(inFeatures, hiddenFeatures);
        fc2 = nn.Linear(hiddenFeatures, inFeatures);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = nn.functional.gelu(fc1.forward(x), GELU.Approximate.tanh);
        return fc2.forward(h).MoveToOuterDisposeScope();
    }
}
