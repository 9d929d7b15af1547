using StepAudio.Flow;
using StepAudio.Llm;
using StepAudio.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Bench;

/// <summary>
/// One training step of the LLM's LoRA (gradient checkpointing and dropout on, so the device's dropout generator and
/// its save/restore are exercised) and one of the flow decoder, each run on the CPU and on <c>device</c> from the same
/// weights and inputs, compared by loss and by every trainable gradient. For <c>scripts/gpu-check.sh</c>; on the
/// CPU against the CPU it checks the harness itself (identical results).
/// </summary>
public static class DeviceParityCheck
{
    /// <summary>
    /// Tolerances: float32 on a GPU sums in other orders and cuDNN may use TF32 for convolutions, so losses agree to
    /// 1e-3 relative and gradients to 2e-2 of their norm. The LLM runs without dropout for parity (the CPU and CUDA
    /// generators draw different masks by design) and with dropout only to check checkpointing's mask replay on the device.
    /// </summary>
    public const double LossTolerance = 1e-3, GradTolerance = 2e-2;

    /// <summary>
    /// Runs the checks at <paramref name="size"/>: <c>tiny</c> (bench-llm's tiny LLM, the tiny flow) or <c>small</c>
    /// (bench-llm's small LLM, the released flow encoder with an 8-block DiT, as bench-flow's small).
    /// </summary>
    public static IReadOnlyList<ParityResult> Run(Device device, string size = "small")
    {
        var llm = Step1BenchCase.Named(size, 1).Config;
        var flow = FlowTrainingBench.SizeConfig(size);
        return [Llm(device, llm, size), LlmCheckpointReplay(device, llm, size), Flow(device, flow, size)];
    }

    static Step1ForCausalLM BuildLlm(Step1Config config, Device device, double dropout, bool checkpointing)
    {
        manual_seed(7);
        var m = new Step1ForCausalLM(config);
        m.to(device);
        Step1Lora.Inject(m, new LoraConfig { R = 8, Alpha = 16, Dropout = dropout, TargetModules = ["q_proj", "k_proj", "v_proj", "o_proj"] });
        using var g = new Generator(11);
        using (no_grad())
            foreach (var p in Step1Lora.TrainableParameters(m))
            {
                using var r = randn(p.shape, generator: g);
                p.copy_(r * 0.02);
            }
        m.model.GradientCheckpointing = checkpointing;
        m.train();
        return m;
    }

    static (double Loss, Dictionary<string, Tensor> Grads) LlmStep(Step1ForCausalLM m, long seed)
    {
        using var scope = NewDisposeScope();
        var device = m.LmHeadWeight.device;
        var ids = arange(512, ScalarType.Int64).mul_(7919).remainder_(m.Config.VocabSize - 4).add_(4).view(2, 256);
        var labels = ids.clone();
        labels[.., ..64] = tensor(CausalLmLoss.IgnoreIndex);
        manual_seed(seed);
        var (_, loss) = m.forward(ids.to(device), labels.to(device));
        loss.backward();
        return (loss.item<float>(), Grads(m.named_parameters().Where(p => Step1Lora.IsLoraParameter(p.name))));
    }

    static ParityResult Llm(Device device, Step1Config config, string size)
    {
        using var cpu = BuildLlm(config, CPU, 0, checkpointing: false);
        using var dev = BuildLlm(config, device, 0, checkpointing: true);
        var a = LlmStep(cpu, 3);
        var b = LlmStep(dev, 3);
        return Compare($"LLM LoRA step ({size}, fp32, no dropout; plain on cpu vs checkpointed on {device})", a, b);
    }

    // With dropout, only the device itself can be the reference: the checkpointed step must equal the plain one there.
    static ParityResult LlmCheckpointReplay(Device device, Step1Config config, string size)
    {
        using var plain = BuildLlm(config, device, 0.3, checkpointing: false);
        using var ckpt = BuildLlm(config, device, 0.3, checkpointing: true);
        return Compare($"LLM LoRA step ({size}, dropout 0.3): plain vs checkpointed on {device}", LlmStep(plain, 5), LlmStep(ckpt, 5));
    }

    static ParityResult Flow(Device device, FlowConfig config, string size)
    {
        manual_seed(9);
        using var cpu = new CausalMaskedDiffWithXvec(config);
        using var dev = new CausalMaskedDiffWithXvec(config);
        using (no_grad())
            foreach (var ((_, p), (_, q)) in cpu.named_parameters().Zip(dev.named_parameters())) q.copy_(p);
        dev.to(device);
        var lens = new long[] { 60, 48, 52 };
        var a = FlowStep(cpu, config, lens);
        var b = FlowStep(dev, config, lens);
        return Compare($"flow decoder step ({size}, batch {lens.Length}): cpu vs {device}", a, b);
    }

    static (double Loss, Dictionary<string, Tensor> Grads) FlowStep(CausalMaskedDiffWithXvec m, FlowConfig config, long[] lens)
    {
        using var scope = NewDisposeScope();
        var device = m.Device;
        m.FreezeEncoder(trainSpeakerProjection: true);
        m.train();
        using var g = new Generator(13);
        long t = lens.Max(), b = lens.Length;
        var token = randint(0, config.VocabSize, [b, t, 2], generator: g);
        var feat = randn([b, 2 * t, config.OutputSize], generator: g);
        var emb = randn([b, config.SpkEmbedDim], generator: g);
        var featLen = lens.Select(l => 2 * l).ToArray();
        using var draws = CfmDraws.Sample(g, featLen, 2 * t, config.Cfm, config.OutputSize);
        var batch = new FlowBatch(token.to(device), tensor(lens, device: device), feat.to(device), tensor(featLen, device: device), emb.to(device));
        var loss = m.ComputeLoss(batch, draws).Loss;
        loss.backward();
        return (loss.item<float>(), Grads(m.named_parameters().Where(p => p.parameter.requires_grad)));
    }

    static Dictionary<string, Tensor> Grads(IEnumerable<(string name, Parameter parameter)> parameters) =>
        parameters.Where(p => p.parameter.grad is not null)
            .ToDictionary(p => p.name, p => p.parameter.grad!.detach().to(CPU).clone().DetachFromDisposeScope());

    static ParityResult Compare(string name, (double Loss, Dictionary<string, Tensor> Grads) a, (double Loss, Dictionary<string, Tensor> Grads) b)
    {
        double worst = 0;
        string worstName = "-";
        foreach (var (key, ga) in a.Grads)
        {
            double norm = ga.norm().item<float>();
            double diff = b.Grads.TryGetValue(key, out var gb) ? (gb - ga).norm().item<float>() : double.PositiveInfinity;
            double rel = norm > 0 ? diff / norm : diff;
            if (rel > worst || double.IsNaN(rel)) (worst, worstName) = (double.IsNaN(rel) ? double.PositiveInfinity : rel, key);
        }
        if (a.Grads.Count == 0 || a.Grads.Count != b.Grads.Count) (worst, worstName) = (double.PositiveInfinity, "(gradient sets differ)");
        foreach (var t in a.Grads.Values.Concat(b.Grads.Values)) t.Dispose();
        double lossRel = Math.Abs(a.Loss - b.Loss) / Math.Max(1e-12, Math.Abs(a.Loss));
        return new ParityResult(name, a.Loss, b.Loss, lossRel, worst, worstName, a.Grads.Count);
    }
}

/// <summary>One parity check: both losses, their relative difference, the worst gradient's relative difference and its name.</summary>
public sealed record ParityResult(string Name, double ReferenceLoss, double DeviceLoss, double LossRelativeDiff,
    double WorstGradRelativeDiff, string WorstGrad, int Gradients)
{
    /// <summary>Within <see cref="DeviceParityCheck.LossTolerance"/> and <see cref="DeviceParityCheck.GradTolerance"/>.</summary>
    public bool Passed => LossRelativeDiff <= DeviceParityCheck.LossTolerance && WorstGradRelativeDiff <= DeviceParityCheck.GradTolerance;

    /// <summary>One line for the console.</summary>
    public override string ToString() =>
        $"{(Passed ? "PASS" : "FAIL")} {Name}: loss {ReferenceLoss:G6} vs {DeviceLoss:G6} (rel {LossRelativeDiff:E2}, tol {DeviceParityCheck.LossTolerance:E0}); " +
        $"worst of {Gradients} grads {WorstGradRelativeDiff:E2} ({WorstGrad}, tol {DeviceParityCheck.GradTolerance:E0})";
}
