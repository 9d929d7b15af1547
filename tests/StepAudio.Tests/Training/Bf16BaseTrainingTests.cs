using StepAudio.Checkpoints;
using StepAudio.Config;
using StepAudio.Llm;
using StepAudio.Training;
using static TorchSharp.torch;

namespace StepAudio.Tests.Training;

/// <summary>Stage 1 over a bf16 frozen base (<c>model.llm.base_dtype: bf16</c>) against the fp32 base it is cast from.</summary>
[Collection(StepAudio.Tests.Platform.GlobalTorchState.Name)]   // model builds seed LibTorch's global generator
public class Bf16BaseTrainingTests
{
    // bf16 keeps 8 mantissa bits (relative rounding 2^-9 ≈ 0.2 % per weight); on the tiny model the mean token loss
    // moves by far less (measured 5e-5 relative: 8.78238 vs 8.78282): 5e-3 relative leaves headroom and still catches a wrong dtype path.
    const double LossTolerance = 5e-3;

    static TrainingInputs Prepare(string dtype) => TrainingInputs.Prepare(TrainingFixture.Config(c =>
    {
        c.Model.Llm.BaseDtype = dtype;
        c.Model.Llm.LoraDropout = 0;
    }), llm: true, flow: false);

    static Dictionary<string, Tensor> Snapshot(Step1ForCausalLM m, bool lora) => m.named_parameters()
        .Where(p => Step1Lora.IsLoraParameter(p.name) == lora).ToDictionary(p => p.name, p => p.parameter.detach().clone());

    [Fact]
    public void Bf16Base_TrainsFp32Lora_WithTheFp32BaseLoss_AndLeavesTheBaseUnchanged()
    {
        using var fp32 = Prepare("fp32");
        using var bf16 = Prepare("bf16");
        var m = bf16.Models.Llm!;
        Assert.All(m.named_parameters(), p => Assert.Equal(
            Step1Lora.IsLoraParameter(p.name) ? ScalarType.Float32 : ScalarType.BFloat16, p.parameter.dtype));
        Assert.All(bf16.Models.LlmTrainable, p => Assert.Equal(ScalarType.Float32, p.Parameter.dtype));
        // Same seed, so the bf16 base is the fp32 base rounded: the same model up to bf16 precision.
        using (no_grad())
            Assert.True(fp32.Models.Llm!.LmHeadWeight.to_type(ScalarType.BFloat16).eq(m.LmHeadWeight).all().item<bool>());
        var baseBefore = Snapshot(m, lora: false);
        var loraBefore = Snapshot(m, lora: true);
        int[][] window = [[0, 1]];
        var cfg = TrainingFixture.Config();
        double reference = TrainingStep.Accumulate(fp32.Models, fp32.Train, TrainingStage.Llm, window, cfg.Loss, 7, 1).Loss;

        using var optimizer = new ContiguousAdamW(bf16.Models.LlmTrainable.Select(p => p.Parameter), lr: 1e-2, weight_decay: 0.01);
        double first = double.NaN;
        for (int step = 1; step <= 3; step++)
        {
            optimizer.zero_grad();
            double loss = TrainingStep.Accumulate(bf16.Models, bf16.Train, TrainingStage.Llm, window, cfg.Loss, 7, step).Loss;
            if (step == 1) first = loss;
            optimizer.step();
        }
        Assert.True(Math.Abs(first - reference) <= LossTolerance * reference,
            $"bf16-base loss {first} vs fp32-base {reference} (tolerance {LossTolerance:P1})");
        foreach (var (name, p) in m.named_parameters())
        {
            if (Step1Lora.IsLoraParameter(name))
                Assert.Equal(ScalarType.Float32, p.dtype);
            else
                Assert.True(p.dtype == ScalarType.BFloat16 && p.eq(baseBefore[name]).all().item<bool>(), $"{name} changed");
        }
        Assert.Contains(m.named_parameters(), p => Step1Lora.IsLoraParameter(p.name) && !p.parameter.eq(loraBefore[p.name]).all().item<bool>());
        var state = optimizer.state_dict().State.OfType<TorchSharp.Modules.AdamW.State>().ToList();
        Assert.NotEmpty(state);
        Assert.All(state, s => Assert.Equal(ScalarType.Float32, s.exp_avg.dtype));
        foreach (var t in baseBefore.Values.Concat(loraBefore.Values)) t.Dispose();
    }

    [Fact]
    public void Stage1Run_WithABf16Base_MatchesTheFp32RunAtStep0_AndWritesItsCheckpoints()
    {
        StepAudioConfig Config(string dtype) => TrainingFixture.Config(c => c.Model.Llm.BaseDtype = dtype);
        var (bf16, _) = TrainingFixture.Run(Config("bf16"), new TrainerOptions { Mode = TrainMode.Llm });
        var (fp32, _) = TrainingFixture.Run(Config("fp32"), new TrainerOptions { Mode = TrainMode.Llm });
        Assert.True(bf16.Stages.Single().Completed && bf16.Steps > 0);
        double a = bf16.Step0LlmLoss!.Value, b = fp32.Step0LlmLoss!.Value;
        Assert.True(Math.Abs(a - b) <= LossTolerance * b, $"step-0 loss {a} (bf16 base) vs {b} (fp32 base)");
        Assert.All(TrainingFixture.Losses(bf16.RunDirectory), l => Assert.True(double.IsFinite(l.Loss), $"step {l.Step}: {l.Loss}"));
        var x = StateDictFile.Load(Path.Combine(bf16.RunDirectory, "llm_best", "llm_best.pt"));
        var y = StateDictFile.Load(Path.Combine(fp32.RunDirectory, "llm_best", "llm_best.pt"));
        Assert.Equal(y.Keys.Order(), x.Keys.Order());
        foreach (var t in x.Values.Concat(y.Values)) t.Dispose();
    }

    [Fact]
    public void Bf16BaseCheckpoint_HasTheFp32Keys_AndLoadsIntoAnFp32Base()
    {
        using var fp32 = Prepare("fp32");
        using var bf16 = Prepare("bf16");
        var dir = TestPaths.NewTempDir("stepaudio-bf16-ckpt");
        string a = Path.Combine(dir, "a", "llm.pt"), b = Path.Combine(dir, "b", "llm.pt");
        using (no_grad())
            foreach (var (_, p) in bf16.Models.LlmTrainable) p.add_(0.01);   // a non-fresh adapter
        TrainingCheckpoints.SaveLlm(bf16.Models.Llm!, bf16.Models.Lora!, a, 1, "preset");
        TrainingCheckpoints.SaveLlm(fp32.Models.Llm!, fp32.Models.Lora!, b, 1, "preset");
        var x = StateDictFile.Load(a);
        var y = StateDictFile.Load(b);
        Assert.Equal(y.Keys.Order(), x.Keys.Order());
        Assert.All(x.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));
        foreach (var t in x.Values.Concat(y.Values)) t.Dispose();
        Step1Export.LoadPt(fp32.Models.Llm!, a);
        var loaded = fp32.Models.Llm!.named_parameters().Where(p => Step1Lora.IsLoraParameter(p.name)).ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in bf16.Models.LlmTrainable)
            Assert.True(loaded[name].eq(p).all().item<bool>(), $"{name} did not round-trip");
    }
}
