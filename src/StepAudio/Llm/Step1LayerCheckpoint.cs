// Activation checkpointing for Step1 decoder layers (the idea of torch.utils.checkpoint, reentrant variant).
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Llm;

/// <summary>
/// Runs one <see cref="Step1DecoderLayer"/> without keeping its activations: the forward runs under no-grad and keeps
/// only the layer's input (and the ALiBi bias, which is shared by all layers); the backward re-runs the layer with grad
/// from that input, with the LoRA dropout generator (<see cref="LoraLinear.DropoutGenerator"/>, on the model's device)
/// put back to the state the first forward saw, so dropout draws the same masks on any device; back-propagates the
/// incoming gradient through the recomputed graph (parameter grads accumulate there, once) and returns the input's
/// gradient. Memory per layer drops from its whole activation set to one [B, S, hidden] input.
/// </summary>
public sealed class Step1LayerCheckpoint : autograd.SingleTensorFunction<Step1LayerCheckpoint>
{
    // The gradient the previous backward handed to LibTorch, which copied it: freed at the next backward instead of
    // at the end of the caller's step scope, so a step never holds one input gradient per layer.
    [ThreadStatic] static Tensor? handedBack;

    /// <inheritdoc />
    public override string Name => nameof(Step1LayerCheckpoint);

    /// <summary>
    /// <paramref name="layer"/> applied to <paramref name="x"/> with <paramref name="bias"/>, checkpointed when grad is
    /// enabled (otherwise a plain call).
    /// </summary>
    public static Tensor Run(Step1DecoderLayer layer, Tensor x, Tensor bias)
    {
        if (!is_grad_enabled()) return layer.forward(x, bias, null, -1);
        // The function joins the graph only when one of its tensor inputs needs grad. The first layer's input (frozen
        // embeddings) does not, so a grad-requiring scalar stands in for the layer's trainable parameters.
        using var token = x.requires_grad ? null : zeros(1, device: x.device).requires_grad_(true);
        return apply(layer, x, bias, token!);
    }

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var layer = (Step1DecoderLayer)vars[0];
        var x = (Tensor)vars[1];
        var bias = (Tensor)vars[2];
        ctx.save_for_backward([x, bias]);
        ctx.save_data("layer", layer);
        ctx.save_data("inputGrad", x.requires_grad);
        ctx.save_data("rng", GeneratorState(layer));
        return layer.forward(x, bias, null, -1);
    }

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        handedBack?.Dispose();
        handedBack = null;
        var layer = (Step1DecoderLayer)ctx.get_data("layer");
        bool inputGrad = (bool)ctx.get_data("inputGrad");
        Tensor? gx = null;
        using (var scope = NewDisposeScope())
        {
            var saved = ctx.get_saved_variables();
            var x = saved[0].detach().requires_grad_(inputGrad);
            var now = GeneratorState(layer);
            SetGeneratorState(layer, (byte[]?)ctx.get_data("rng"));
            Tensor y;
            try
            {
                using var grad = enable_grad();
                y = layer.forward(x, saved[1], null, -1);
            }
            finally { SetGeneratorState(layer, now); }
            autograd.backward([y], [gradOutput]);
            if (inputGrad) gx = x.grad?.detach().MoveToOuterDisposeScope();
        }
        // LibTorch handed this wrapper to us (it keeps no reference to it) and copies what we return.
        gradOutput.Dispose();
        handedBack = gx;
        return [null!, gx!, null!, null!];
    }

    // The layer's adapters share their model's generator; a layer without dropout draws nothing and saves nothing.
    static Generator? DropoutGenerator(Step1DecoderLayer layer) =>
        layer.modules().OfType<LoraLinear>().Select(l => l.DropoutGenerator).FirstOrDefault(g => g is not null);

    static byte[]? GeneratorState(Step1DecoderLayer layer)
    {
        if (DropoutGenerator(layer) is not { } g) return null;
        using var s = g.get_state();
        return s.data<byte>().ToArray();
    }

    static void SetGeneratorState(Step1DecoderLayer layer, byte[]? state)
    {
        if (state is null || DropoutGenerator(layer) is not { } g) return;
        using var s = tensor(state);
        g.set_state(s);
    }
}
