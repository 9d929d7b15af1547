using System.Collections;
using System.Text.Json.Nodes;
using StepAudio.Checkpoints;
using StepAudio.Cli.Commands;
using StepAudio.Config;
using StepAudio.Llm;
using StepAudio.Training;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace StepAudio.Tests.Training;

[Collection(StepAudio.Tests.Platform.GlobalTorchState.Name)]   // training and model rebuilds seed LibTorch's global generator
public class RunExportTests
{
    /// <summary>One tiny run (mode both, 1 epoch per stage, a checkpoint every epoch) shared by the tests of this class.</summary>
    static readonly Lazy<string> TrainedRun = new(() => TrainingFixture.Run(TrainingFixture.Config()).Summary.RunDirectory);

    static string Run => TrainedRun.Value;
    static StepAudioConfig RunConfig(string run) => ConfigLoader.Load(Path.Combine(run, "config.yaml"));
    static string NewOut(string name) => Path.Combine(TestPaths.NewTempDir("stepaudio-export"), name);

    static ExportResult Export(ExportFormat format, string output, string checkpoint = "best", bool overwrite = false, string? run = null) =>
        RunExport.Export(new ExportOptions { Run = run ?? Run, Format = format, Output = output, Checkpoint = checkpoint, Overwrite = overwrite });

    static readonly long[] Ids = [1, 4, 10, 200, 1023, 1024, 1500, 3000, 6000, 3];

    static Tensor Logits(Step1ForCausalLM model)
    {
        model.eval();
        using var _ = no_grad();
        return model.forward(tensor(Ids).unsqueeze(0)).detach();
    }

    /// <summary>Logits of the run's LLM (base rebuilt from the run's config, LoRA unmerged) with <paramref name="pt"/> loaded.</summary>
    static Tensor RunLogits(string run, string pt)
    {
        using var models = TrainingModels.Build(RunConfig(run), llm: true, flow: false);
        Step1Export.LoadPt(models.Llm!, pt);
        return Logits(models.Llm!);
    }

    static void AssertClose(Tensor expected, Tensor actual, double relative)
    {
        Assert.Equal(expected.shape, actual.shape);
        double scale = expected.abs().max().item<float>(), diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= relative * scale, $"max |diff| {diff:G4} exceeds {relative:G2} × max |logit| {scale:G4}");
    }

    /// <summary>A <c>torch.save(state_dict)</c> file: a plain dict of tensors, no training-checkpoint wrapper.</summary>
    static void AssertPlainStateDict(string path)
    {
        Hashtable root;
        using (var stream = File.OpenRead(path)) root = PyTorchUnpickler.UnpickleStateDict(stream);
        Assert.DoesNotContain("model_state_dict", root.Keys.Cast<object>().Select(k => k.ToString()));
        Assert.NotEmpty(root);
        foreach (DictionaryEntry e in root)
        {
            var t = Assert.IsAssignableFrom<Tensor>(e.Value);
            t.Dispose();
        }
    }

    [Fact]
    public void Peft_AdapterLoadsIntoTheRebuiltBase_WithTheLogitsOfTheRunsCheckpoint_AndTheFlowBeside()
    {
        using var scope = NewDisposeScope();
        var output = NewOut("peft");
        var result = Export(ExportFormat.Peft, output);
        Assert.Equal(["README.txt", "adapter_config.json", "adapter_model.safetensors", "flow.pt"], result.Files);

        var expected = RunLogits(Run, Path.Combine(Run, "llm_best", "llm_best.pt"));
        using (var fresh = TrainingModels.Build(RunConfig(Run), llm: true, flow: false))
        {
            var before = Logits(fresh.Llm!);   // fresh LoRA: B = 0, so the base's logits
            Assert.False(allclose(before, expected, 1e-4, 1e-4), "the trained LoRA must change the logits, or this test proves nothing");
            PeftAdapter.Load(fresh.Llm!, output);
            AssertClose(expected, Logits(fresh.Llm!), 1e-6);
        }
        var adapterConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(output, PeftAdapter.ConfigName)))!;
        var runJson = JsonNode.Parse(File.ReadAllText(Path.Combine(Run, "run.json")))!;
        Assert.Equal(runJson["llm_base"]!.GetValue<string>(), adapterConfig["base_model_name_or_path"]!.GetValue<string>());
        Assert.Equal(8, adapterConfig["r"]!.GetValue<int>());

        AssertPlainStateDict(Path.Combine(output, "flow.pt"));
        TrainingFixture.AssertSameWeights(Path.Combine(Run, "flow_best.pt"), Path.Combine(output, "flow.pt"));
    }

    [Fact]
    public void Merged_LoadsAsAHuggingFaceFolder_WithTheLogitsOfBasePlusLora_Float32_WithTokenizerAndPlainFlow()
    {
        using var scope = NewDisposeScope();
        var output = NewOut("merged");
        var result = Export(ExportFormat.Merged, output);
        Assert.Equal(["README.txt", "config.json", "flow.pt", "model.safetensors", "tokenizer.model"], result.Files);

        var expected = RunLogits(Run, Path.Combine(Run, "llm_best", "llm_best.pt"));
        var loaded = Step1Checkpoint.Load(output);
        using (var merged = loaded.Model)
        {
            Assert.Empty(Step1Lora.Adapters(merged));
            AssertClose(expected, Logits(merged), 1e-4);
            Assert.Equal(1024, merged.Config.AudioTokenOffset);   // the tiny tokenizer's, so the folder is a usable base
        }
        using (var weights = SafetensorsFile.Open(Path.Combine(output, "model.safetensors")))
        {
            Assert.All(weights.Entries.Values, e => Assert.Equal("F32", e.DType));   // the tiny preset's dtype is kept
            Assert.DoesNotContain(weights.Entries.Keys, k => k.Contains("lora", StringComparison.Ordinal));
        }
        Assert.Equal("float32", JsonNode.Parse(File.ReadAllText(Path.Combine(output, "config.json")))!["torch_dtype"]!.GetValue<string>());
        Assert.Equal(File.ReadAllBytes(RunConfig(Run).Model.Llm.TokenizerPath!), File.ReadAllBytes(Path.Combine(output, "tokenizer.model")));

        AssertPlainStateDict(Path.Combine(output, "flow.pt"));
        TrainingFixture.AssertSameWeights(Path.Combine(Run, "flow_best.pt"), Path.Combine(output, "flow.pt"));
        using var flow = TrainingModels.Build(RunConfig(Run), llm: false, flow: true);
        TrainingCheckpoints.LoadFlow(flow.Flow!, Path.Combine(output, "flow.pt"));   // strict: every key of the flow, nothing else
    }

    [Fact]
    public void Official_MirrorsTheReleasedLayout_AndSaysWhatAPresetRunLacks()
    {
        var output = NewOut("official");
        var result = Export(ExportFormat.Official, output);
        Assert.Equal(["CosyVoice-300M-25Hz/flow.pt", "README.txt", "config.json", "model.safetensors", "tokenizer.model"], result.Files);
        AssertPlainStateDict(Path.Combine(output, "CosyVoice-300M-25Hz", "flow.pt"));
        TrainingFixture.AssertSameWeights(Path.Combine(Run, "flow_best.pt"), Path.Combine(output, "CosyVoice-300M-25Hz", "flow.pt"));
        var readme = File.ReadAllText(Path.Combine(output, "README.txt"));
        foreach (var missing in new[] { "hift.pt", "campplus.onnx", "cosyvoice.yaml", "modeling_step1.py" })
            Assert.Contains(missing, readme);
        Assert.Contains(result.Notes, n => n.Contains("hift.pt", StringComparison.Ordinal));
    }

    [Fact]
    public void Official_CopiesTheFlowBaseFoldersOtherFiles_ButNotItsFlowPt()
    {
        var run = Path.Combine(TestPaths.NewTempDir("stepaudio-export-run"), "run");
        CopyFolder(Run, run);
        var flowBase = TestPaths.NewTempDir("stepaudio-flow-base");
        File.WriteAllText(Path.Combine(flowBase, "cosyvoice.yaml"), "sample_rate: 24000\n");
        File.WriteAllBytes(Path.Combine(flowBase, "hift.pt"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(flowBase, "campplus.onnx"), [4, 5]);
        File.WriteAllBytes(Path.Combine(flowBase, "flow.pt"), [6]);   // the released flow: replaced by the run's
        var runJson = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "run.json")))!.AsObject();
        runJson["flow_base"] = flowBase;
        File.WriteAllText(Path.Combine(run, "run.json"), runJson.ToJsonString());

        var output = NewOut("official");
        var result = Export(ExportFormat.Official, output, run: run);
        var flowDir = Path.Combine(output, "CosyVoice-300M-25Hz");
        Assert.Equal(["campplus.onnx", "cosyvoice.yaml", "flow.pt", "hift.pt"], Directory.GetFiles(flowDir).Select(f => Path.GetFileName(f)).Order());
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(flowDir, "hift.pt")));
        TrainingFixture.AssertSameWeights(Path.Combine(run, "flow_best.pt"), Path.Combine(flowDir, "flow.pt"));
        Assert.Contains(result.Notes, n => n.Contains("speech_tokenizer_v1.onnx", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Notes, n => n.Contains("hift.pt", StringComparison.Ordinal));
    }

    [Fact]
    public void Last_ExportsTheFinalTrainingWeights()
    {
        using var scope = NewDisposeScope();
        // Stage 3 is epoch 3, the last: its checkpoints hold the weights last/ saved at the run's end (no EMA here).
        var output = NewOut("last");
        Export(ExportFormat.Merged, output, "last");
        TrainingFixture.AssertSameWeights(Path.Combine(Run, "flow_epoch_3.pt"), Path.Combine(output, "flow.pt"));
        using var merged = Step1Checkpoint.Load(output).Model;
        AssertClose(RunLogits(Run, Path.Combine(Run, "llm_epoch_3", "llm_epoch_3.pt")), Logits(merged), 1e-4);
        Assert.Contains("last/state-", File.ReadAllText(Path.Combine(output, "README.txt")));
    }

    [Fact]
    public void Epoch_ExportsWhatThatEpochSaved_AndNamesWhatIsAbsent()
    {
        // Epoch 1 is stage 1 (LLM only), epoch 2 stage 2 (flow only).
        var output = NewOut("epoch1");
        var result = Export(ExportFormat.Official, output, "epoch_1");
        Assert.Equal(["README.txt", "config.json", "model.safetensors", "tokenizer.model"], result.Files);
        Assert.Contains(result.Notes, n => n.StartsWith("no flow in this export", StringComparison.Ordinal) && n.Contains("flow_epoch_1.pt"));
        Assert.Contains("no flow in this export", File.ReadAllText(Path.Combine(output, "README.txt")));

        var e = Assert.Throws<InputException>(() => Export(ExportFormat.Peft, NewOut("epoch2"), "epoch_2"));
        Assert.Contains("--format peft", e.Message);
        Assert.Contains("epoch_1 (llm)", e.Message);   // what the run has

        var flowOnly = Export(ExportFormat.Merged, NewOut("epoch2"), "epoch_2");
        Assert.Equal(["README.txt", "flow.pt"], flowOnly.Files);
        TrainingFixture.AssertSameWeights(Path.Combine(Run, "flow_epoch_2.pt"), Path.Combine(flowOnly.Output, "flow.pt"));

        var none = Assert.Throws<InputException>(() => Export(ExportFormat.Merged, NewOut("epoch9"), "epoch_9"));
        Assert.Contains("epoch_3 (llm+flow)", none.Message);
    }

    [Fact]
    public void Last_OfARunStoppedInStage1_SaysTheFlowIsStillTheBase()
    {
        var config = TrainingFixture.Config();
        var run = TrainingFixture.Run(config, cancelWhen: e => e is StepCompleted { Step: 1 }).Summary.RunDirectory;
        var best = Assert.Throws<InputException>(() => Export(ExportFormat.Merged, NewOut("best"), run: run));
        Assert.Contains("the run has: last", best.Message);
        var result = Export(ExportFormat.Merged, NewOut("last"), "last", run: run);
        Assert.Equal(["README.txt", "config.json", "flow.pt", "model.safetensors", "tokenizer.model"], result.Files);
        Assert.Contains(result.Notes, n => n.StartsWith("the flow has not trained yet", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Notes, n => n.StartsWith("the LLM has not trained yet", StringComparison.Ordinal));
    }

    [Fact]
    public void Errors_MissingRun_BadFormatOrCheckpoint_ExistingOutput()
    {
        var nowhere = Path.Combine(TestPaths.NewTempDir(), "no-run");
        Assert.Contains("run folder not found", Assert.Throws<InputException>(() => Export(ExportFormat.Peft, NewOut("x"), run: nowhere)).Message);
        var empty = TestPaths.NewTempDir();
        Assert.Contains("run.json", Assert.Throws<InputException>(() => Export(ExportFormat.Peft, NewOut("x"), run: empty)).Message);
        Assert.Contains("peft, merged or official", Assert.Throws<InputException>(() => RunExport.ParseFormat("onnx")).Message);
        Assert.Contains("epoch_N", Assert.Throws<InputException>(() => Export(ExportFormat.Peft, NewOut("x"), "newest")).Message);

        var output = NewOut("taken");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "keep.txt"), "mine");
        var e = Assert.Throws<InputException>(() => Export(ExportFormat.Peft, output));
        Assert.Contains("--overwrite", e.Message);
        Assert.Equal(["keep.txt"], Directory.GetFiles(output).Select(f => Path.GetFileName(f)));
        Export(ExportFormat.Peft, output, overwrite: true);
        Assert.False(File.Exists(Path.Combine(output, "keep.txt")));
        Assert.True(File.Exists(Path.Combine(output, PeftAdapter.WeightsName)));
        Assert.Equal([output], Directory.GetFileSystemEntries(Path.GetDirectoryName(output)!));   // no temporary or old folder left beside it

        // --overwrite never deletes what the export reads.
        var inside = Assert.Throws<InputException>(() => Export(ExportFormat.Peft, Path.GetDirectoryName(Run)!, overwrite: true));
        Assert.Contains("which this export reads", inside.Message);
        Assert.True(File.Exists(Path.Combine(Run, "run.json")));
    }

    [Fact]
    public void Cli_ExitCodes()
    {
        var output = NewOut("cli");
        Assert.Equal(StepAudioCli.Success, StepAudioCli.Run(["export", "--run", Run, "--format", "peft", output]));
        Assert.True(File.Exists(Path.Combine(output, PeftAdapter.ConfigName)));
        Assert.Equal(StepAudioCli.BadInput, StepAudioCli.Run(["export", "--run", Run, "--format", "peft", output]));   // exists
        Assert.Equal(StepAudioCli.Success, StepAudioCli.Run(["export", "--run", Run, "--format", "merged", "--checkpoint", "epoch_2", "--overwrite", output]));
        Assert.Equal(StepAudioCli.Usage, StepAudioCli.Run(["export", "--run", Run, "--format", "onnx", NewOut("x")]));
        Assert.Equal(StepAudioCli.Usage, StepAudioCli.Run(["export", "--format", "peft", NewOut("x")]));
        Assert.Equal(StepAudioCli.BadInput, StepAudioCli.Run(["export", "--run", Path.Combine(output, "nope"), "--format", "peft", NewOut("x")]));
    }

    [Fact]
    public void Merged_FromAFolderBase_KeepsItsBf16_AndCopiesItsConfigCodeAndTokenizer()
    {
        using var scope = NewDisposeScope();
        // A Hugging Face folder standing in for the released LLM: the tiny architecture in bf16, with the files that come with it.
        var baseDir = TestPaths.NewTempDir("stepaudio-llm-base");
        manual_seed(7);
        using (var model = new Step1ForCausalLM(Step1Config.Preset("tiny")))
            Step1Export.SaveMerged(model, baseDir, ScalarType.BFloat16);
        var baseConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(baseDir, "config.json")))!.AsObject();
        baseConfig["audio_token_offset"] = 1024;
        baseConfig["auto_map"] = new JsonObject { ["AutoModelForCausalLM"] = "modeling_step1.Step1ForCausalLM" };
        File.WriteAllText(Path.Combine(baseDir, "config.json"), baseConfig.ToJsonString());
        File.WriteAllText(Path.Combine(baseDir, "modeling_step1.py"), "# modeling code\n");
        File.WriteAllText(Path.Combine(baseDir, "README.md"), "model card of the base\n");
        File.Copy(Path.Combine(TestPaths.RepoRoot, "configs", "tiny-tokenizer.model"), Path.Combine(baseDir, "tokenizer.model"));
        var config = TrainingFixture.Config(c =>
        {
            c.Model.Llm.ModelPath = baseDir; c.Model.Llm.Preset = null; c.Model.Llm.TokenizerPath = null;
            c.Model.Llm.LoraTargetModules = ["q_proj", "v_proj"];
            c.TrainMode = TrainMode.Llm;
        });
        var run = TrainingFixture.Run(config).Summary.RunDirectory;

        var output = NewOut("merged-bf16");
        var result = Export(ExportFormat.Official, output, run: run);
        Assert.Equal(["README.txt", "config.json", "model.safetensors", "modeling_step1.py", "tokenizer.model"], result.Files);
        Assert.Contains(result.Notes, n => n.Contains("trained only the LLM", StringComparison.Ordinal));
        Assert.NotNull(JsonNode.Parse(File.ReadAllText(Path.Combine(output, "config.json")))!["auto_map"]);
        using var weights = SafetensorsFile.Open(Path.Combine(output, "model.safetensors"));
        Assert.All(weights.Entries.Values, e => Assert.Equal("BF16", e.DType));
        // W + scaling·B·A computed in float32 from the run's weights, then rounded to bf16 once.
        using var reference = TrainingModels.Build(RunConfig(run), llm: true, flow: false);
        Step1Export.LoadPt(reference.Llm!, Path.Combine(run, "llm_best", "llm_best.pt"));
        var q = Step1Lora.Adapters(reference.Llm!)["model.layers.1.self_attn.q_proj"];
        var expected = (q.weight.detach() + q.DeltaWeight()).to_type(ScalarType.BFloat16);
        Assert.True(Same(expected, weights.Read("model.layers.1.self_attn.q_proj.weight")));
        Assert.False(Same(expected, q.weight.detach().to_type(ScalarType.BFloat16)), "the LoRA must have moved the weight");
        Assert.Equal("bfloat16", JsonNode.Parse(File.ReadAllText(Path.Combine(output, "config.json")))!["torch_dtype"]!.GetValue<string>());

        var peft = Export(ExportFormat.Peft, NewOut("peft"), run: run);
        Assert.Equal(["README.txt", "adapter_config.json", "adapter_model.safetensors"], peft.Files);
        var adapterConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(peft.Output, PeftAdapter.ConfigName)))!;
        Assert.Equal(baseDir, adapterConfig["base_model_name_or_path"]!.GetValue<string>());
    }

    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.eq(b).all().item<bool>();

    static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) CopyFolder(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
