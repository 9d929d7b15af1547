using System.Globalization;
using static TorchSharp.torch;

namespace StepAudio.Training.Planning;

/// <summary>
/// Predicts a training run's peak resident memory per stage from <see cref="PlanInputs"/>: frozen weights at their
/// dtype, float32 gradients and AdamW state of the trainable parameters, an EMA copy, the activations the longest
/// batch keeps for backward (with and without per-layer checkpointing) and the runtime's own baseline. Every term is
/// arithmetic on shapes; nothing is allocated.
/// </summary>
public static class MemoryPlanner
{
    /// <summary>
    /// The .NET runtime with LibTorch loaded and used, before any model: peak RSS of <c>stepaudio system</c> (which
    /// loads LibTorch and runs a GEMM check), measured 225–230 MB over two runs on the 2-core dev machine (2026-12).
    /// </summary>
    public const long RuntimeOverheadBytes = 230L * 1000 * 1000;

    /// <summary>The plan of <paramref name="inputs"/> against <paramref name="budget"/> bytes (null: no verdict, no advice).</summary>
    public static MemoryPlan Plan(PlanInputs inputs, long? budget = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var plan = Estimate(inputs, budget);
        return budget is { } b && plan.Peak > b ? plan with { Advice = Advise(inputs, b, plan.Peak) } : plan;
    }

    static MemoryPlan Estimate(PlanInputs p, long? budget) => new(p, p.Stages.Select(s => Stage(p, s)).ToList(), budget, []);

    /// <summary>One stage: both models' weights stay resident for the whole run; only this stage's parameters train.</summary>
    public static StageMemory Stage(PlanInputs p, TrainingStage stage)
    {
        long lora = p.Llm?.LoraParameters(p.LoraR, p.LoraTargets) ?? 0;
        long weights = (p.Llm is { } l ? l.BaseParameters * ElementSize(p.LlmBaseDtype) + lora * 4 : 0)
                       + (p.Flow is { } f ? f.TotalParameters * 4 : 0);
        bool llm = stage != TrainingStage.Flow, flow = stage != TrainingStage.Llm;
        long trainable = (llm ? lora : 0) + (flow ? p.Flow?.TrainableParameters ?? 0 : 0);
        // Joint batches are cut by LLM length, so the flow sees the same items as the LLM.
        long llmBatch = p.BatchOf(p.LlmSequenceLength), flowBatch = stage == TrainingStage.Joint ? llmBatch : p.BatchOf(p.MelFrames);
        var (act, actCkpt) = (0L, 0L);
        if (llm && p.Llm != null) Add(ref act, ref actCkpt, LlmActivations(p, llmBatch));
        // The trainer checkpoints the LLM's layers only (model.llm.gradient_checkpointing): the flow keeps everything either way.
        if (flow && p.Flow != null)
        {
            long flowAct = FlowActivations(p.Flow, flowBatch, p.MelFrames);
            Add(ref act, ref actCkpt, (flowAct, flowAct));
        }
        // Float32 gradients twice: autograd's own, and ContiguousAdamW's flat buffer they move into after the first step;
        // optimizer: exp_avg, exp_avg_sq and the update's denominator scratch.
        return new StageMemory(stage, weights, 2 * 4 * trainable, 3 * 4 * trainable, p.Ema ? 4 * trainable : 0,
            act, actCkpt, p.Checkpointing, p.OverheadBytes, trainable);
    }

    static void Add(ref long a, ref long b, (long Full, long Checkpointed) x)
    {
        a += x.Full;
        b += x.Checkpointed;
    }

    /// <summary>Bytes per element of a weight dtype.</summary>
    public static int ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float32 => 4,
        ScalarType.BFloat16 or ScalarType.Float16 => 2,
        ScalarType.Float64 => 8,
        _ => throw new ArgumentException($"{t} is not a weight dtype the planner knows", nameof(t)),
    };

    /// <summary>
    /// What a Step1 forward of <paramref name="batch"/> × the longest sequence keeps for backward, in the base's dtype:
    /// per layer the two RMSNorms' inputs and outputs, q/k/v/o, the repeated GQA keys and values, the attention's
    /// scores, biased scores and softmax, the SwiGLU's gate, up, activation and product; per adapted layer the LoRA dropout's output and
    /// mask and A's output (float32); then the final norm and five float32 copies of the logits.
    /// Checkpointed: each layer's input, one layer recomputed, and the head.
    /// </summary>
    public static (long Full, long Checkpointed) LlmActivations(PlanInputs p, long batch)
    {
        var llm = p.Llm ?? throw new ArgumentException("the inputs have no LLM", nameof(p));
        var c = llm.Config;
        long l = p.LlmSequenceLength, bl = batch * l, h = c.HiddenSize, kv = (long)c.HeadDim * c.NumAttentionGroups;
        long a = ElementSize(p.LlmBaseDtype), layers = c.NumHiddenLayers;
        var targets = p.LoraTargets.ToHashSet(StringComparer.Ordinal);
        long LoraBytes(Func<LinearShape, bool> which) => llm.Linears.Where(x => targets.Contains(x.Module) && which(x))
            .Sum(x => x.Count * bl * (x.In * 5 + p.LoraR * 4));
        // LibTorch's CPU attention with an additive float mask takes the math path: the scores, the scores plus the
        // ALiBi bias and the softmax are all kept, 3 × batch × heads × L² per layer (measured: the fused-kernel
        // assumption of 1 × heads × L² left the tiny LLM's peak 30 % under the measured one).
        long perLayer = a * bl * (10 * h + 2 * kv + 4L * c.IntermediateSize) + a * 3 * batch * c.NumAttentionHeads * l * l
                        + LoraBytes(x => x.Module != "lm_head") / layers;
        // Logits, their shifted copy, log-softmax, and in backward its gradient and the logits' gradient: float32.
        long head = a * bl * 3 * h + 4 * 5 * bl * c.VocabSize + LoraBytes(x => x.Module == "lm_head");
        return (layers * perLayer + head, layers * a * bl * h + perLayer + head);
    }

    /// <summary>
    /// What the DiT estimator keeps for backward on <paramref name="batch"/> × <paramref name="melFrames"/> (float32):
    /// per block the three adaLN-modulated norms, q/k/v, the attention's scores and softmax, the causal conv block, the MLP's two
    /// widths and the gated residuals; then the input projection and the loss terms. The frozen encoder runs without
    /// autograd and keeps nothing.
    /// </summary>
    public static long FlowActivations(FlowSizes flow, long batch, long melFrames)
    {
        var e = flow.Config.Estimator;
        long bt = batch * melFrames, d = e.HiddenSize, inner = (long)e.NumHeads * e.HeadDim, mlp = (long)(e.HiddenSize * e.MlpRatio);
        // SDPA with a key mask keeps the scores, masked scores and softmax too (as the LLM's attention).
        long perBlock = 4 * bt * (20 * d + 4 * inner + 3 * mlp) + 4 * 3 * batch * e.NumHeads * melFrames * melFrames;
        long ends = 4 * bt * (e.InChannels + 3 * d + 4L * e.OutChannels);
        return e.Depth * perBlock + ends;
    }

    /// <summary>
    /// Changes that would lower the peak, each priced by planning again with it alone, largest saving first; changes
    /// that save nothing are left out.
    /// </summary>
    static List<PlanAdvice> Advise(PlanInputs p, long budget, long peak)
    {
        var ci = CultureInfo.InvariantCulture;
        var candidates = new List<(string, PlanInputs)>();
        if (p.BatchSize > 1)
        {
            int fit = Enumerable.Range(1, p.BatchSize - 1).Reverse()
                .FirstOrDefault(b => Estimate(Smaller(p, b), null).Peak <= budget, 1);
            var smaller = Smaller(p, fit);
            candidates.Add(($"lower data.batch_size to {fit} and data.max_frames_in_batch to {smaller.MaxFramesInBatch.ToString(ci)}", smaller));
        }
        if (!p.Checkpointing && p.Llm != null && p.Stages.Any(s => s != TrainingStage.Flow))
            candidates.Add(("set model.llm.gradient_checkpointing: true (recomputes each decoder layer in backward, ~5 % slower here)", p with { Checkpointing = true }));
        if (p.Llm != null && p.Stages.Any(s => s != TrainingStage.Flow))
        {
            if (p.LoraR > 1)
                candidates.Add(($"lower model.llm.lora_r to {p.LoraR / 2}", p with { LoraR = p.LoraR / 2 }));
            string[] fewer = p.LoraTargets.Except(["q_proj", "k_proj", "v_proj"]).Any() ? ["q_proj", "k_proj", "v_proj"] : ["q_proj", "v_proj"];
            if (!fewer.ToHashSet().SetEquals(p.LoraTargets))
                candidates.Add(($"set model.llm.lora_target_modules to [{string.Join(", ", fewer)}]", p with { LoraTargets = fewer }));
            if (ElementSize(p.LlmBaseDtype) > 2)
                candidates.Add(("hold the LLM base in bf16 (halves its weights and activations; LoRA stays float32)", p with { LlmBaseDtype = ScalarType.BFloat16 }));
        }
        return candidates
            .Select(c => (c.Item1, Peak: Estimate(c.Item2, null).Peak))
            .Where(c => c.Peak < peak)
            .OrderBy(c => c.Peak)
            .Select(c => new PlanAdvice(c.Item1, peak - c.Peak, c.Peak, c.Peak <= budget))
            .ToList();
    }

    // A batch of b items at most, and a frame cap that lets no longer batch through.
    static PlanInputs Smaller(PlanInputs p, int b) => p with
    {
        BatchSize = b,
        MaxFramesInBatch = Math.Min(p.MaxFramesInBatch, (long)b * Math.Max(p.LlmSequenceLength, p.MelFrames)),
    };
}
