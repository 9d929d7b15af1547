using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StepAudio.Flow;

/// <summary>Conformer feed-forward (CosyVoice positionwise_feed_forward.py): w_2(dropout(SiLU(w_1(x)))).</summary>
public sealed class PositionwiseFeedForward : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    readonly Linear w_1;
    readonly Linear w_2;
#pragma warning restore IDE1006
    readonly double dropoutRate;

    public PositionwiseFeedForward(int idim, int hiddenUnits, double dropoutRate) : base(nameof(PositionwiseFeedForward))
    {
        w_1 = nn.Linear(idim, hiddenUnits);
        w_2 = nn.Linear(hiddenUnits, idim);
        this.dropoutRate = dropoutRate;
        RegisterComponents();
    }

    public override Tensor forward(Tensor xs)
    {
        using var scope = NewDisposeScope();
        var h = F.dropout(F.silu(w_1.forward(xs)), dropoutRate, training);
        return w_2.forward(h).MoveToOuterDisposeScope();
    }
}
