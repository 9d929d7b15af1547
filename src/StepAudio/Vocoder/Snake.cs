using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Vocoder;

/// <summary>
/// Snake activation <c>x + 1/(α + 1e-9) · sin²(αx)</c> with one linear-scale α per channel
/// (hifigan/activation.py <c>Snake</c>, <c>alpha_logscale=False</c>). Input and output <c>[B, C, T]</c>.
/// </summary>
public sealed class Snake : nn.Module<Tensor, Tensor>
{
    const double NoDivByZero = 1e-9;
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's
    readonly Parameter alpha;
#pragma warning restore IDE1006

    /// <summary>One α per channel, initialised to 1 (upstream's default).</summary>
    public Snake(long channels) : base(nameof(Snake))
    {
        alpha = nn.Parameter(ones(channels));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var a = alpha.unsqueeze(0).unsqueeze(-1); // [1, C, 1]
        return (x + (a + NoDivByZero).reciprocal() * (x * a).sin().pow(2)).MoveToOuterDisposeScope();
    }
}
