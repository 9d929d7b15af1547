using StepAudio.Llm;
using StepAudio.Tests.Training;
using StepAudio.Training;
using StepAudio.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Tests.Llm;

/// <summary>
/// Per-layer activation checkpointing (<see cref="Step1Model.GradientCheckpointing"/>): the same loss, LoRA gradients
/// and generator state as the plain forward, with and without LoRA dropout, and no tensors left behind.
/// </summary>
[Collection(StepAudio.Tests.Platform.GlobalTorchState.Name)]   // LoRA dropout draws from LibTorch's global generator
public class GradientCheckpointingTests
{
    static readonly string[] AllTargets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    // The tiny model with LoRA on every projection and non-zero adapters (a zero lora_B would make every lora_A grad 0).
    static Step1ForCausalLM Model(double dropout, ScalarType baseDtype = ScalarType.Float32)
    {
        var m = TinyStep1.Create(3);
        if (baseDtype != ScalarType.Float32) m.to(baseDtype);
        Step1Lora.Inject(m, new LoraConfig { R = 4, Alpha = 8, Dropout = dropout, TargetModules = AllTargets });
        using var g = new Generator(5);
        using (no_grad())
            foreach (var p in Step1Lora.TrainableParameters(m))
            {
                using var r = rand(p.shape, generator: g);
                p.copy_((r - 0.5) * 0.4);
            }
        m.train();
        return m;
    }

    // One step from a fixed seed: loss, every LoRA parameter's gradient, and the generator's next draw after the step.
    static (double Loss, Dictionary<string, Tensor> Grads, float Next) Step(Step1ForCausalLM m, bool checkpointing, long seed = 11)
    {
        m.model.GradientCheckpointing = checkpointing;
        using var scope = NewDisposeScope();
        foreach (var p in Step1Lora.TrainableParameters(m)) p.grad?.zero_();
        manual_seed(seed);
        using var ids = TinyStep1.Ids(4, batch: 2, length: 12);
        var (_, loss) = m.forward(ids, ids);
        loss.backward();
        var grads = m.named_parameters().Where(p => Step1Lora.IsLoraParameter(p.name))
            .ToDictionary(p => p.name, p => p.parameter.grad!.detach().clone().DetachFromDisposeScope());
        return (loss.item<float>(), grads, rand(1).item<float>());
    }

    static void AssertClose(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual, double rel)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, e) in expected)
        {
            double norm = e.norm().item<float>(), diff = (actual[name] - e).norm().item<float>();
            Assert.True(norm > 0, $"{name}: zero gradient");
            Assert.True(diff <= rel * norm, $"{name}: |Δgrad| {diff} vs |grad| {norm} (tolerance {rel} relative)");
        }
    }

    static void Dispose(Dictionary<string, Tensor> grads)
    {
        foreach (var t in grads.Values) t.Dispose();
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void Float32_LossAndLoraGradsMatchThePlainForward(double dropout)
    {
        using var m = Model(dropout);
        var plain = Step(m, checkpointing: false);
        var ckpt = Step(m, checkpointing: true);
        Assert.True(Math.Abs(ckpt.Loss - plain.Loss) <= 1e-5 * Math.Abs(plain.Loss), $"loss {ckpt.Loss} vs {plain.Loss}");
        AssertClose(plain.Grads, ckpt.Grads, 1e-5);
        // The recompute puts the generator back: the draws after the step are the plain run's.
        Assert.Equal(plain.Next, ckpt.Next);
        if (dropout > 0)
        {
            // A different seed draws different masks, so the comparison above does see dropout.
            var other = Step(m, checkpointing: false, seed: 12);
            Assert.NotEqual(plain.Loss, other.Loss);
            Dispose(other.Grads);
        }
        Dispose(plain.Grads);
        Dispose(ckpt.Grads);
    }

    // bf16 base, fp32 adapters: the recompute runs the same kernels on the same inputs, so only summation order in the
    // accumulated grads may differ; bf16's own step is 2^-8 ≈ 4e-3, and 1e-3 relative stays well under it.
    [Fact]
    public void Bf16Base_LossAndLoraGradsMatchThePlainForward()
    {
        using var m = Model(0.1, ScalarType.BFloat16);
        var plain = Step(m, checkpointing: false);
        var ckpt = Step(m, checkpointing: true);
        Assert.True(Math.Abs(ckpt.Loss - plain.Loss) <= 1e-3 * Math.Abs(plain.Loss), $"loss {ckpt.Loss} vs {plain.Loss}");
        AssertClose(plain.Grads, ckpt.Grads, 1e-3);
        Dispose(plain.Grads);
        Dispose(ckpt.Grads);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RepeatedSteps_LeaveNoTensorsBehind(bool checkpointing)
    {
        using var m = Model(0.2);
        static long Live() => TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        Dispose(Step(m, checkpointing).Grads);   // the first step creates the .grad tensors
        long before = Live();
        for (int i = 0; i < 3; i++) Dispose(Step(m, checkpointing).Grads);
        Assert.Equal(before, Live());
    }

    [Fact]
    public void WithoutGrad_TheForwardIsUnchanged()
    {
        using var m = Model(0.0);
        m.eval();
        using var ids = TinyStep1.Ids(4, batch: 2, length: 12);
        using var _ = no_grad();
        m.model.GradientCheckpointing = false;
        using var plain = m.forward(ids);
        m.model.GradientCheckpointing = true;
        using var ckpt = m.forward(ids);
        Assert.True(plain.eq(ckpt).all().item<bool>());
        Assert.False(ckpt.requires_grad);
    }

    [Fact]
    public void Stage1Run_WithTheKeyOn_MatchesTheRunWithItOff()
    {
        var on = TrainingFixture.Config(c => c.Model.Llm.GradientCheckpointing = true);
        var off = TrainingFixture.Config(c => c.Model.Llm.GradientCheckpointing = false);
        using (var inputs = TrainingInputs.Prepare(on, llm: true, flow: false))
            Assert.True(inputs.Models.Llm!.model.GradientCheckpointing);
        var (a, _) = TrainingFixture.Run(on, new TrainerOptions { Mode = TrainMode.Llm });
        var (b, _) = TrainingFixture.Run(off, new TrainerOptions { Mode = TrainMode.Llm });
        Assert.True(a.Stages.Single().Completed && a.Steps > 0);
        var la = TrainingFixture.Losses(a.RunDirectory);
        var lb = TrainingFixture.Losses(b.RunDirectory);
        Assert.Equal(lb.Count, la.Count);
        for (int i = 0; i < la.Count; i++)
            Assert.True(Math.Abs(la[i].Loss - lb[i].Loss) <= 1e-4 * Math.Abs(lb[i].Loss), $"step {la[i].Step}: {la[i].Loss} vs {lb[i].Loss}");
    }
}
