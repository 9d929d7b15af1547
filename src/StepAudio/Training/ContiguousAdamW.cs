using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Training;

/// <summary>
/// TorchSharp's <see cref="AdamW"/> with the same maths, state and state-dict layout, updating every parameter in one
/// pass: the parameters and their <c>exp_avg</c> / <c>exp_avg_sq</c> state live as views in three contiguous buffers,
/// so a step is a handful of kernels over all elements instead of ~10 small ones per parameter (TorchSharp has no
/// <c>_foreach_*</c> ops; this is what PyTorch's foreach/fused AdamW buy). That matters for models with many small
/// tensors, e.g. the flow DiT (60 trainable tensors in the tiny config). Once every parameter has a gradient, the
/// gradients become views of a fourth buffer: <c>zero_grad</c> zeroes it in one kernel and backward adds into it in
/// place, as it does into any existing gradient.
/// <para>
/// Falls back to the per-parameter loop of <see cref="AdamW"/> (same results) whenever the fast path does not apply: a
/// parameter without a gradient (AdamW skips it), several parameter groups, <c>amsgrad</c>, <c>maximize</c>, or step
/// counts that differ between parameters. Parameters must share one dtype and device, and must not be replaced by new
/// tensors afterwards (in-place updates, such as loading weights with <c>copy_</c>, are fine). Change gradients in
/// place (as <c>clip_grad_norm_</c> does); a gradient replaced by a new tensor is noticed (by its storage offset) and
/// copied back into the buffer. Memory: one N-element scratch buffer more than AdamW keeps between steps.
/// </para>
/// </summary>
public sealed class ContiguousAdamW : AdamW
{
    readonly Parameter[] parameterList;
    readonly long[] offsets;
    readonly Tensor flatParam, flatExpAvg, flatExpAvgSq;
    // Gradients at [1, 1 + N): element 0 is never used, so no gradient view starts at storage offset 0 as a newly
    // assigned standalone tensor would, which is how GradientsAreViews tells them apart cheaply.
    readonly Tensor flatGradStorage, flatGrad;
    bool gradientsAdopted;
    // Scratch for the denominator, kept: a fresh N-element tensor every step is a large allocation that the C allocator
    // maps and the kernel page-faults in anew each time (measured: the tiny flow step's update took 1.2 ms instead of 0.5).
    readonly Tensor denom;

    /// <summary>Same arguments and defaults as <c>torch.optim.AdamW</c>.</summary>
    public ContiguousAdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weight_decay = 0, bool amsgrad = false, bool maximize = false)
        : this(parameters.ToArray(), lr, beta1, beta2, eps, weight_decay, amsgrad, maximize)
    {
    }

    ContiguousAdamW(Parameter[] parameters, double lr, double beta1, double beta2, double eps, double weight_decay,
        bool amsgrad, bool maximize)
        : base(parameters, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize)
    {
        if (parameters.Length == 0) throw new ArgumentException("no parameters to optimize", nameof(parameters));
        var dtype = parameters[0].dtype;
        var device = parameters[0].device;
        if (parameters.Any(p => p.dtype != dtype || p.device.type != device.type || p.device.index != device.index))
            throw new ArgumentException("ContiguousAdamW needs parameters of one dtype and device; use torch.optim.AdamW otherwise",
                nameof(parameters));
        if (parameters.Distinct().Count() != parameters.Length)
            throw new ArgumentException("a parameter is listed twice", nameof(parameters));
        parameterList = parameters;
        offsets = new long[parameters.Length + 1];
        for (int i = 0; i < parameterList.Length; i++) offsets[i + 1] = offsets[i] + parameterList[i].numel();

        using var noGrad = no_grad();
        flatParam = empty(offsets[^1], dtype, device).DetachFromDisposeScope();
        flatExpAvg = zeros(offsets[^1], dtype, device).DetachFromDisposeScope();
        flatExpAvgSq = zeros(offsets[^1], dtype, device).DetachFromDisposeScope();
        flatGradStorage = zeros(1 + offsets[^1], dtype, device).DetachFromDisposeScope();
        denom = empty(offsets[^1], dtype, device).DetachFromDisposeScope();
        flatGrad = flatGradStorage.narrow(0, 1, offsets[^1]).DetachFromDisposeScope();
        for (int i = 0; i < parameterList.Length; i++)
        {
            var p = parameterList[i];
            var view = Slice(flatParam, i);
            view.copy_(p);
            p.set_(view);
            view.Dispose();
        }
        AdoptState(disposeCurrent: true);
    }

    /// <summary>Element <paramref name="i"/>'s slice of a flat buffer, shaped like that parameter.</summary>
    Tensor Slice(Tensor flat, int i) =>
        flat.narrow(0, offsets[i], offsets[i + 1] - offsets[i]).view(parameterList[i].shape).DetachFromDisposeScope();

    /// <summary>
    /// Copies each parameter's exp_avg / exp_avg_sq into the flat buffers and makes the state hold views of them.
    /// The tensors replaced are disposed only when this optimizer created them.
    /// </summary>
    void AdoptState(bool disposeCurrent)
    {
        using var noGrad = no_grad();
        for (int i = 0; i < parameterList.Length; i++)
        {
            var state = (State)_state[parameterList[i].Handle];
            state.exp_avg = Adopt(state.exp_avg, Slice(flatExpAvg, i), disposeCurrent);
            state.exp_avg_sq = Adopt(state.exp_avg_sq, Slice(flatExpAvgSq, i), disposeCurrent);
        }
    }

    static Tensor Adopt(Tensor current, Tensor view, bool disposeCurrent)
    {
        view.copy_(current);
        if (disposeCurrent) current.Dispose();
        return view;
    }

    /// <inheritdoc/>
    public override void load_state_dict(StateDictionary state_dict)
    {
        base.load_state_dict(state_dict);   // disposes our views and takes the source's tensors
        AdoptState(disposeCurrent: false);
    }

    /// <summary>Zeroes the gradients (one kernel once they live in the gradient buffer).</summary>
    public override void zero_grad()
    {
        if (gradientsAdopted) flatGrad.zero_();
        else base.zero_grad();
    }

    /// <summary>True when every parameter's gradient is still its view of the gradient buffer.</summary>
    bool GradientsAreViews()
    {
        for (int i = 0; i < parameterList.Length; i++)
        {
            using var g = parameterList[i].grad;
            if (g is null || g.storage_offset() != 1 + offsets[i]) return false;
        }
        return true;
    }

    /// <summary>Copies every gradient into the gradient buffer and makes it a view there; false when one is missing.</summary>
    bool AdoptGradients()
    {
        using var scope = NewDisposeScope();
        var grads = parameterList.Select(p => p.grad).ToArray();
        if (grads.Any(g => g is null)) return false;
        for (int i = 0; i < parameterList.Length; i++)
        {
            var view = Slice(flatGrad, i);
            view.copy_(grads[i]!);
            parameterList[i].grad = view;
            view.Dispose();   // the parameter holds the view now
        }
        gradientsAdopted = true;
        return true;
    }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        if (closure != null || _parameter_groups.Count != 1) return base.step(closure);
        var o = (Options)_parameter_groups[0].Options;
        if (o.amsgrad!.Value || o.maximize!.Value) return base.step(closure);

        var states = new State[parameterList.Length];
        for (int i = 0; i < parameterList.Length; i++)
        {
            states[i] = (State)_state[parameterList[i].Handle];
            if (states[i].step != states[0].step) return base.step(closure);
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // AdamW skips parameters without a gradient: the per-parameter loop does that.
        if (!GradientsAreViews() && !AdoptGradients()) return base.step(closure);
        var grad = flatGrad;
        foreach (var s in states) s.step += 1;

        // TorchSharp's AdamW.step arithmetic on all parameters at once (torch/optim/adamw.py _single_tensor_adamw).
        double lr = o.LearningRate!.Value, beta1 = o.beta1!.Value, beta2 = o.beta2!.Value;
        double biasCorrection1 = 1 - Math.Pow(beta1, states[0].step);
        double biasCorrection2 = 1 - Math.Pow(beta2, states[0].step);
        flatParam.mul_(1 - lr * o.weight_decay!.Value);
        flatExpAvg.mul_(beta1).add_(grad, alpha: 1 - beta1);
        flatExpAvgSq.mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
        denom.copy_(flatExpAvgSq).sqrt_().div_(Math.Sqrt(biasCorrection2)).add_(o.eps!.Value);
        flatParam.addcdiv_(flatExpAvg, denom, value: -lr / biasCorrection1);
        return null!;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        flatExpAvg.Dispose();
        flatExpAvgSq.Dispose();
        flatGrad.Dispose();
        flatGradStorage.Dispose();
        denom.Dispose();
        // flatParam's storage stays alive through the parameters' views.
        flatParam.Dispose();
    }
}
