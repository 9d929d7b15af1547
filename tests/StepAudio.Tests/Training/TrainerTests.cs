using StepAudio.Config;
using StepAudio.Training;
using static TorchSharp.torch;

namespace StepAudio.Tests.Training;

[Collection(StepAudio.Tests.Platform.GlobalTorchState.Name)]   // the trainer seeds LibTorch's global generator and sets its thread count
public class TrainerTests
{
    [Theory]
    [InlineData(TrainMode.Llm)]
    [InlineData(TrainMode.Flow)]
    [InlineData(TrainMode.Both)]
    public void EachMode_RunsItsStages_AndWritesTheRunFolder(TrainMode mode)
    {
        var config = TrainingFixture.Config();
        var (summary, events) = TrainingFixture.Run(config, new TrainerOptions { Mode = mode });
        var expected = Trainer.StagesFor(mode, config.Stage);
        Assert.Equal(expected, summary.Stages.Select(s => s.Stage));
        Assert.All(summary.Stages, s => Assert.True(s.Completed && s.Steps > 0));
        Assert.Equal(expected, events.OfType<StageStarted>().Select(s => s.Stage));
        var run = summary.RunDirectory;
        Assert.Equal("run-001", Path.GetFileName(run));
        foreach (var f in new[] { "config.yaml", "run.json", "train.log", "metrics.jsonl", "summary.json", "last/LATEST" })
            Assert.True(File.Exists(Path.Combine(run, f)), f);
        Assert.True(Directory.EnumerateFiles(Path.Combine(run, "tensorboard"), "events.out.tfevents.*", SearchOption.AllDirectories).Any());
        Assert.Equal(summary.Steps, TrainingFixture.Losses(run).Count);
        bool llm = mode != TrainMode.Flow, flow = mode != TrainMode.Llm;
        Assert.Equal(llm, File.Exists(Path.Combine(run, "llm_best", "llm_best.pt")));
        Assert.Equal(llm, File.Exists(Path.Combine(run, "llm_best", "adapter_model.safetensors")));
        Assert.Equal(llm, File.Exists(Path.Combine(run, "llm_epoch_1", "llm_epoch_1.pt")));
        Assert.Equal(flow, File.Exists(Path.Combine(run, "flow_best.pt")));
        // The checkpoints read back (trained parameters are views into the optimizer's buffer: the writer must copy them).
        if (flow)
        {
            var weights = StepAudio.Checkpoints.StateDictFile.Load(Path.Combine(run, "flow_best.pt"));
            Assert.Contains("decoder.estimator.blocks.0.attn.to_q.weight", weights.Keys);
            Assert.Contains("encoder_proj.weight", weights.Keys);
            foreach (var t in weights.Values) t.Dispose();
        }
        if (llm)
        {
            var weights = StepAudio.Checkpoints.StateDictFile.Load(Path.Combine(run, "llm_best", "llm_best.pt"));
            Assert.Contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight", weights.Keys);
            foreach (var t in weights.Values) t.Dispose();
        }
        Assert.Equal(llm, summary.Step0LlmLoss.HasValue);
        Assert.Equal(flow, summary.Step0FlowLoss.HasValue);
        if (mode == TrainMode.Both)
        {
            // Epochs count across stages, so stage 3's epoch checkpoints never overwrite stage 1's.
            Assert.True(File.Exists(Path.Combine(run, "flow_epoch_2.pt")));
            Assert.True(File.Exists(Path.Combine(run, "llm_epoch_3", "llm_epoch_3.pt")));
            Assert.True(File.Exists(Path.Combine(run, "flow_epoch_3.pt")));
        }
    }

    [Fact]
    public void SameSeed_GivesBitIdenticalRuns_AndANewRunFolderEachTime()
    {
        var config = TrainingFixture.Config(c => c.Stage.Stage3Epochs = 0);
        var a = TrainingFixture.Run(config).Summary;
        var b = TrainingFixture.Run(config).Summary;
        Assert.Equal("run-002", Path.GetFileName(b.RunDirectory));
        Assert.Equal(TrainingFixture.Losses(a.RunDirectory), TrainingFixture.Losses(b.RunDirectory));
        TrainingFixture.AssertSameWeights(Path.Combine(a.RunDirectory, "flow_best.pt"), Path.Combine(b.RunDirectory, "flow_best.pt"));
    }

    [Fact]
    public void OutputHoldingARun_IsAnError_UnlessResumeOrOverwrite()
    {
        var config = TrainingFixture.Config(c => { c.Stage.Stage1Epochs = 0; c.Stage.Stage3Epochs = 0; });
        var output = Path.Combine(config.Save.CkptDir, "mine");
        TrainingFixture.Run(config, new TrainerOptions { Folder = new RunFolderOptions { Output = output } });
        var e = Assert.Throws<InputException>(() => TrainingFixture.Run(config, new TrainerOptions { Folder = new RunFolderOptions { Output = output } }));
        Assert.Contains("--overwrite", e.Message);
        var again = TrainingFixture.Run(config, new TrainerOptions { Folder = new RunFolderOptions { Output = output, Overwrite = true } });
        Assert.Equal(output, again.Summary.RunDirectory);
    }

    [Fact]
    public void Freezing_OnlyTheStagesParametersChange_BitForBit()
    {
        var config = TrainingFixture.Config(c => { c.Stage.Stage3Epochs = 0; c.Stage.Stage2Epochs = 0; });
        using var inputs = TrainingInputs.Prepare(config, llm: true, flow: true);
        var before = Snapshot(inputs);
        TrainingFixture.Run(config, new TrainerOptions { Mode = TrainMode.Llm }, inputs);
        var afterLlm = Snapshot(inputs);
        foreach (var (name, t) in before)
        {
            bool lora = name.Contains(".lora_A.") || name.Contains(".lora_B.");
            Assert.True(lora != Same(t, afterLlm[name]), $"{name} {(lora ? "did not change" : "changed")} in stage 1");
        }
        config.Stage.Stage1Epochs = 0;
        config.Stage.Stage2Epochs = 1;
        TrainingFixture.Run(config, new TrainerOptions { Mode = TrainMode.Flow }, inputs);
        var afterFlow = Snapshot(inputs);
        foreach (var (name, t) in afterLlm)
        {
            bool trains = name.StartsWith("flow.decoder.estimator.") || name.StartsWith("flow.spk_embed_affine_layer.");
            bool changed = !Same(t, afterFlow[name]);
            // Every DiT tensor gets a gradient; a LayerNorm-free tensor could in principle stay put, so check the groups.
            if (!trains) Assert.False(changed, $"{name} changed in stage 2");
        }
        Assert.Contains(afterLlm, kv => kv.Key.StartsWith("flow.decoder.estimator.") && !Same(kv.Value, afterFlow[kv.Key]));
        Assert.Contains(afterLlm, kv => kv.Key.StartsWith("flow.spk_embed_affine_layer.") && !Same(kv.Value, afterFlow[kv.Key]));
        foreach (var t in before.Values.Concat(afterLlm.Values).Concat(afterFlow.Values)) t.Dispose();
    }

    /// <summary>Bit-for-bit equality.</summary>
    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.contiguous().bytes.SequenceEqual(b.contiguous().bytes);

    static Dictionary<string, Tensor> Snapshot(TrainingInputs inputs)
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (n, p) in inputs.Models.Llm!.named_parameters()) d["llm." + n] = p.detach().clone();
        foreach (var (n, p) in inputs.Models.Flow!.named_parameters()) d["flow." + n] = p.detach().clone();
        return d;
    }

    [Fact]
    public void NonFiniteLoss_SkipsTheStep_AndTheRunGoesOn()
    {
        var config = TrainingFixture.Config(c => { c.Stage.Stage1Epochs = 0; c.Stage.Stage3Epochs = 0; c.Stage.Stage2Epochs = 2; c.Data.BatchSize = 2; });
        using var inputs = TrainingInputs.Prepare(config, llm: false, flow: true);
        using (no_grad()) inputs.Train.Flow[0].Feat[3, 5] = tensor(float.NaN);
        var (summary, events) = TrainingFixture.Run(config, new TrainerOptions { Mode = TrainMode.Flow }, inputs);
        var skipped = events.OfType<StepSkipped>().ToList();
        Assert.Equal(2, skipped.Count);   // the poisoned clip's batch, once per epoch
        Assert.True(events.OfType<StepCompleted>().Count() > 2);
        Assert.Equal(2, summary.Stages.Single().SkippedSteps);
        Assert.All(inputs.Models.FlowTrainable, p => Assert.True(p.Parameter.isfinite().all().item<bool>(), p.Name));
        Assert.True(double.IsFinite(summary.BestFlowLoss!.Value));
    }
}
