using static TorchSharp.torch;

namespace StepAudio.Training;

/// <summary>
/// EMA of trainable weights (shadow = decay · shadow + (1 − decay) · weight after every applied step).
/// <see cref="SwapIn"/> puts the averages into the model for validation and checkpoints and returns a handle that puts
/// the training weights back.
/// </summary>
public sealed class ExponentialMovingAverage : IDisposable
{
    readonly IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> parameters;
    readonly Tensor[] shadow;

    /// <summary>Shadows of <paramref name="parameters"/>, starting at their current values.</summary>
    public ExponentialMovingAverage(IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> parameters, double decay)
    {
        this.parameters = parameters;
        Decay = decay;
        using var noGrad = no_grad();
        shadow = parameters.Select(p => p.Parameter.detach().clone().DetachFromDisposeScope()).ToArray();
    }

    /// <summary>The decay per step.</summary>
    public double Decay { get; }

    /// <summary>The shadow tensors by parameter name (for saving and restoring the state).</summary>
    public IEnumerable<(string Name, Tensor Shadow)> Shadows => parameters.Select((p, i) => (p.Name, shadow[i]));

    /// <summary>Moves every shadow toward its weight.</summary>
    public void Update()
    {
        using var noGrad = no_grad();
        for (int i = 0; i < shadow.Length; i++) shadow[i].mul_(Decay).add_(parameters[i].Parameter, alpha: 1 - Decay);
    }

    /// <summary>Swaps averages and weights; disposing the handle swaps them back.</summary>
    public IDisposable SwapIn()
    {
        Swap();
        return new Swapper(this);
    }

    void Swap()
    {
        using var noGrad = no_grad();
        for (int i = 0; i < shadow.Length; i++)
        {
            using var tmp = parameters[i].Parameter.detach().clone();
            parameters[i].Parameter.copy_(shadow[i]);
            shadow[i].copy_(tmp);
        }
    }

    sealed class Swapper(ExponentialMovingAverage owner) : IDisposable
    {
        bool done;
        public void Dispose()
        {
            if (done) return;
            done = true;
            owner.Swap();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var s in shadow) s.Dispose();
    }
}
