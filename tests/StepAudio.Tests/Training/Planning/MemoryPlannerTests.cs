using StepAudio.Config;
using StepAudio.Flow;
using StepAudio.Tests.Llm;
using StepAudio.Training;
using StepAudio.Training.Planning;
using static TorchSharp.torch;

namespace StepAudio.Tests.Training.Planning;

/// <summary>The planner's arithmetic on hand-made sizes, its verdict and its advice.</summary>
public class MemoryPlannerTests
{
    static readonly LlmSizes Llm = ModelSizes.FromConfig(TinyStep1.Config, "test");
    static readonly FlowSizes Flow = new(FlowConfig.Tiny, 1000, 400, "test");

    static PlanInputs Inputs(Func<PlanInputs, PlanInputs>? tweak = null)
    {
        var p = new PlanInputs
        {
            Llm = Llm, Flow = Flow, Stages = [TrainingStage.Llm, TrainingStage.Flow, TrainingStage.Joint], LoraR = 4,
            LoraTargets = ["q_proj", "k_proj", "v_proj", "lm_head"], BatchSize = 4, MaxFramesInBatch = 1000,
            LlmSequenceLength = 60, MelFrames = 80, OverheadBytes = 1000,
        };
        return tweak?.Invoke(p) ?? p;
    }

    [Fact]
    public void WeightsGradientsOptimizerAndEma_AreTheHandCounts()
    {
        long lora = 2 * 4 * (48 + 2 * 32) + 4 * (24 + 96);
        Assert.Equal(lora, Llm.LoraParameters(4, Inputs().LoraTargets));
        var s1 = MemoryPlanner.Stage(Inputs(), TrainingStage.Llm);
        Assert.Equal(Llm.BaseParameters * 4 + lora * 4 + 1000 * 4, s1.Weights);
        Assert.Equal(2 * 4 * lora, s1.Gradients);     // autograd's and ContiguousAdamW's flat buffer
        Assert.Equal(3 * 4 * lora, s1.Optimizer);     // two moments and the update scratch
        Assert.Equal(0, s1.Ema);
        Assert.Equal(4 * lora, MemoryPlanner.Stage(Inputs(p => p with { Ema = true }), TrainingStage.Llm).Ema);
        Assert.Equal(Llm.BaseParameters * 2 + lora * 4 + 1000 * 4,
            MemoryPlanner.Stage(Inputs(p => p with { LlmBaseDtype = ScalarType.BFloat16 }), TrainingStage.Llm).Weights);
        Assert.Equal(400, MemoryPlanner.Stage(Inputs(), TrainingStage.Flow).TrainableParameters);
        Assert.Equal(lora + 400, MemoryPlanner.Stage(Inputs(), TrainingStage.Joint).TrainableParameters);
        Assert.Equal(s1.Weights + s1.Gradients + s1.Optimizer + s1.Activations + 1000, s1.Total);
    }

    [Fact]
    public void Activations_ScaleWithTheBatch_AndCheckpointingLowersThem()
    {
        var (one, oneCkpt) = MemoryPlanner.LlmActivations(Inputs(), 1);
        var (two, _) = MemoryPlanner.LlmActivations(Inputs(), 2);
        Assert.Equal(2 * one, two);
        Assert.True(oneCkpt < one);
        var (bf16, _) = MemoryPlanner.LlmActivations(Inputs(p => p with { LlmBaseDtype = ScalarType.BFloat16 }), 1);
        Assert.True(bf16 < one);
        Assert.Equal(3 * MemoryPlanner.FlowActivations(Flow, 1, 80), MemoryPlanner.FlowActivations(Flow, 3, 80));
        var plain = MemoryPlanner.Stage(Inputs(), TrainingStage.Joint);
        var ckpt = MemoryPlanner.Stage(Inputs(p => p with { Checkpointing = true }), TrainingStage.Joint);
        Assert.Equal(plain.ActivationsCheckpointed, ckpt.CountedActivations);
        Assert.Equal(plain.Total - plain.Activations + plain.ActivationsCheckpointed, ckpt.Total);
        // The trainer checkpoints the LLM only: a flow stage's activations are the same either way.
        var flowStage = MemoryPlanner.Stage(Inputs(p => p with { Checkpointing = true }), TrainingStage.Flow);
        Assert.Equal(flowStage.Activations, flowStage.CountedActivations);
        Assert.True(ckpt.CountedActivations > oneCkpt);
    }

    [Fact]
    public void TheFrameCapBindsTheBatch()
    {
        var p = Inputs();
        Assert.Equal(4, p.BatchOf(60));
        Assert.Equal(3, p.BatchOf(300));
        Assert.Equal(1, p.BatchOf(5000));
    }

    [Fact]
    public void LongestExample_FromTheFilter()
    {
        var data = new DataConfig { Filter = new FilterConfig { TokenMaxLength = 90, MaxLength = 1000 } };
        // 90 dual frames = 150 audio tokens for the target and as many for the prompt, text allowance, EOS; 2 mel per dual.
        Assert.Equal((300 + PlanInputs.PromptTextTokens + 1, 180), PlanInputs.LongestExample(data));
        data.Filter.MaxLength = 200;   // 2 s caps it at 50 dual frames
        Assert.Equal((2 * 84 + PlanInputs.PromptTextTokens + 1, 100), PlanInputs.LongestExample(data));
    }

    [Fact]
    public void Verdicts()
    {
        long peak = MemoryPlanner.Plan(Inputs()).Peak;
        Assert.Equal(PlanVerdict.NoBudget, MemoryPlanner.Plan(Inputs()).Verdict);
        Assert.Equal(PlanVerdict.Fits, MemoryPlanner.Plan(Inputs(), 2 * peak).Verdict);
        Assert.Equal(PlanVerdict.Tight, MemoryPlanner.Plan(Inputs(), peak).Verdict);
        var over = MemoryPlanner.Plan(Inputs(), peak - 1);
        Assert.Equal(PlanVerdict.DoesNotFit, over.Verdict);
        Assert.Empty(MemoryPlanner.Plan(Inputs(), 2 * peak).Advice);
        Assert.Equal(peak, MemoryPlanner.Plan(Inputs()).Stages.Max(s => s.Total));
    }

    [Fact]
    public void Advice_IsOrderedByEffect_AndEachIsPricedByPlanningAgain()
    {
        var p = Inputs(x => x with { OverheadBytes = 0 });
        long peak = MemoryPlanner.Plan(p).Peak;
        var advice = MemoryPlanner.Plan(p, peak / 2).Advice;
        Assert.True(advice.Count >= 4, string.Join("\n", advice.Select(a => a.Text)));
        Assert.Equal(advice.OrderByDescending(a => a.Saving).Select(a => a.Change), advice.Select(a => a.Change));
        Assert.All(advice, a => Assert.Equal(peak - a.Saving, a.NewPeak));
        var bf16 = advice.Single(a => a.Change.Contains("bf16", StringComparison.Ordinal));
        Assert.Equal(MemoryPlanner.Plan(p with { LlmBaseDtype = ScalarType.BFloat16 }).Peak, bf16.NewPeak);
        var ckpt = advice.Single(a => a.Change.Contains("checkpointing", StringComparison.Ordinal));
        Assert.Equal(MemoryPlanner.Plan(p with { Checkpointing = true }).Peak, ckpt.NewPeak);
        Assert.Contains(advice, a => a.Change.StartsWith("lower data.batch_size", StringComparison.Ordinal));
        // Already bf16, checkpointed, batch 1: what is left is LoRA.
        var lean = MemoryPlanner.Plan(p with { LlmBaseDtype = ScalarType.BFloat16, Checkpointing = true, BatchSize = 1 }, 1).Advice;
        Assert.All(lean, a => Assert.Contains("lora", a.Change, StringComparison.Ordinal));
    }
}
