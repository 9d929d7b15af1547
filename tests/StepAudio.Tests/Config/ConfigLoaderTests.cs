using StepAudio.Config;

namespace StepAudio.Tests.Config;

public class ConfigLoaderTests
{
    static StepAudioConfig Parse(string yaml, string file = "/tmp/cfg/test.yaml") => ConfigLoader.Parse(yaml, file);

    static InputException Fails(string yaml) =>
        Assert.Throws<InputException>(() => Parse(yaml));

    [Theory]
    [InlineData("gpu")]
    [InlineData("mps")]     // no Apple build of this toolkit: the config check and the trainer agree (TorchDevices.Parse)
    [InlineData("cuda:x")]
    public void UnknownDevices_AreErrorsNamingTheLine(string device)
    {
        var e = Fails($"seed: 1\ndevice: {device}\n");
        Assert.Contains("test.yaml:2", e.Message);
        Assert.Contains("is not a device", e.Message);
    }

    [Fact]
    public void AbsentKeysGetTheDefaults()
    {
        var c = Parse("seed: 1234\n");
        Assert.Equal(8, c.Model.Llm.LoraR);
        Assert.Equal(32, c.Model.Llm.LoraAlpha);
        Assert.Equal(0.05, c.Model.Llm.LoraDropout);
        Assert.Equal(new[] { "q_proj", "k_proj", "v_proj" }, c.Model.Llm.LoraTargetModules);
        Assert.Equal(1e-4, c.Optim.LrLlm);
        Assert.Equal(1e-5, c.Optim.LrFlow);
        Assert.Equal((25, 25, 5), (c.Stage.Stage1Epochs, c.Stage.Stage2Epochs, c.Stage.Stage3Epochs));
        Assert.Equal((0.4, 0.6), (c.Loss.LlmWeight, c.Loss.FlowWeight));
        Assert.Equal(0.1, c.Stage.JointLrScale);
        Assert.Equal(4, c.Optim.AccumGrad);
        Assert.Equal(TrainMode.Both, c.TrainMode);
    }

    [Fact]
    public void ShippedConfigsLoad()
    {
        var real = ConfigLoader.Load(Path.Combine(TestPaths.RepoRoot, "configs", "finetune_llm_flow.yaml"));
        Assert.Equal(Path.Combine(TestPaths.RepoRoot, "pretrained_models", "Step-Audio-EditX"), real.Model.Llm.ModelPath);
        var tiny = ConfigLoader.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny.yaml"));
        Assert.Equal("tiny", tiny.Model.Llm.Preset);
        Assert.Equal("griffin_lim", tiny.Model.Flow.Vocoder);
        Assert.Equal(Path.Combine(TestPaths.RepoRoot, "data-samples", "train.jsonl"), tiny.Data.TrainPath);
    }

    // The Python fork's layout: seed/device/train_mode under `basic:`, tokenizer section, CosyVoice data keys.
    const string ForkYaml = """
        # fork layout
        basic:
          seed: 7
          device: "cuda"
          max_epoch: 50
          log_interval: 50
          val_interval: 1
          train_mode: "flow"
        model:
          llm:
            model_path: "./pretrained_models/Step-Audio-EditX"
            lora: True
            lora_r: 8
            lora_alpha: 32
            lora_dropout: 0.05
            lora_target_modules: ["q_proj", "v_proj", "k_proj"]
            freeze_backbone: True
          tokenizer:
            model_path: "./pretrained_models/Step-Audio-Tokenizer"
          flow:
            model_path: "./pretrained_models/Step-Audio-EditX/CosyVoice-300M-25Hz"
            freeze_encoder: True
            freeze_vocoder: True
            n_timesteps: 10
        optim:
          lr_llm: 1e-4
          lr_flow: 1e-5
          warmup_steps: 3000
          weight_decay: 0.01
          grad_clip: 5.0
          accum_grad: 4
        data:
          train_path: "./data/train.jsonl"
          val_path: "./data/val.jsonl"
          train_data: "./data/raw/parquet/data.list"
          cv_data: "./data/raw/parquet/data.list"
          batch_size: 2
          sample_rate: 24000
          max_audio_len: 10
          max_text_len: 200
          num_workers: 4
          token_mel_ratio: 2
          filter:
            max_length: 40960
            min_length: 100
            token_max_length: 200
            token_min_length: 1
          prefetch_factor: 100
          pin_memory: True
          shuffle_size: 1000
          sort_size: 500
          max_frames_in_batch: 2000
          use_spk_embedding: False
        save:
          ckpt_dir: "./ckpt/finetune"
          save_best: True
          save_interval: 5
        loss:
          llm_weight: 0.4
          flow_weight: 0.6
        stage:
          stage1_epochs: 25
          stage2_epochs: 25
          stage3_epochs: 5
          joint_lr_scale: 0.1
        """;

    [Fact]
    public void ForkYamlWithBasicSectionLoads()
    {
        var c = Parse(ForkYaml, "/proj/train/configs/finetune_llm_flow.yaml");
        Assert.Equal(7, c.Seed);
        Assert.Equal("cuda", c.Device);
        Assert.Equal(TrainMode.Flow, c.TrainMode);
        Assert.Equal(10, c.Data.MaxAudioLen);
        Assert.Equal(40960, c.Data.Filter.MaxLength);
        Assert.Equal(new[] { "q_proj", "v_proj", "k_proj" }, c.Model.Llm.LoraTargetModules);
        // Relative to the config file's folder, not the working directory.
        Assert.Equal("/proj/train/configs/pretrained_models/Step-Audio-Tokenizer", c.Model.Tokenizer.ModelPath);
        Assert.Equal("/proj/train/configs/ckpt/finetune", c.Save.CkptDir);
    }

    [Fact]
    public void UnknownKeyNamesLineAndSuggests()
    {
        var e = Fails("model:\n  llm:\n    lora_rank: 8\n");
        Assert.Equal(3, e.Line);
        Assert.Equal("model.llm.lora_rank", e.Field);
        Assert.Contains("unknown key", e.Problem);
        Assert.Contains("did you mean 'lora_r'", e.Fix);
        Assert.StartsWith("/tmp/cfg/test.yaml:3: model.llm.lora_rank:", e.Message);
    }

    [Fact]
    public void UnknownSectionIsAnError()
    {
        var e = Fails("seed: 1\noptimiser:\n  lr_llm: 1e-4\n");
        Assert.Equal(2, e.Line);
        Assert.Contains("did you mean 'optim'", e.Fix);
    }

    [Fact]
    public void WrongTypeNamesKey()
    {
        var e = Fails("optim:\n  lr_llm: fast\n");
        Assert.Equal((2, "optim.lr_llm"), (e.Line, e.Field));
        Assert.Contains("expected a number, got 'fast'", e.Problem);
        var b = Fails("model:\n  flow:\n    freeze_encoder: maybe\n");
        Assert.Contains("true or false", b.Problem);
        var i = Fails("data:\n  batch_size: 2.5\n");
        Assert.Contains("whole number", i.Problem);
        var list = Fails("model:\n  llm:\n    lora_target_modules: q_proj\n");
        Assert.Contains("list", list.Problem);
    }

    [Fact]
    public void OutOfRangeNamesKeyAndLine()
    {
        var e = Fails("seed: 1\nmodel:\n  llm:\n    lora_dropout: 1.5\n");
        Assert.Equal((4, "model.llm.lora_dropout"), (e.Line, e.Field));
        Assert.Contains("[0, 1)", e.Problem);
        Assert.Equal("optim.accum_grad", Fails("optim:\n  accum_grad: 0\n").Field);
        Assert.Equal("stage.joint_lr_scale", Fails("stage:\n  joint_lr_scale: 2\n").Field);
        Assert.Equal("data.filter.max_length", Fails("data:\n  filter:\n    min_length: 500\n    max_length: 100\n").Field);
    }

    [Fact]
    public void BaseDtype_DefaultsToBf16_AndRejectsOthersWithKeyAndLine()
    {
        Assert.Equal("bf16", Parse("seed: 1\n").Model.Llm.BaseDtype);
        Assert.Equal("fp32", Parse("model:\n  llm:\n    base_dtype: fp32\n").Model.Llm.BaseDtype);
        var e = Fails("seed: 1\nmodel:\n  llm:\n    base_dtype: fp16\n");
        Assert.Equal((4, "model.llm.base_dtype"), (e.Line, e.Field));
        Assert.Contains("fp16", e.Problem);
    }

    [Fact]
    public void GradientCheckpointing_DefaultsToFalse_AndRejectsNonBooleansWithKeyAndLine()
    {
        Assert.False(Parse("seed: 1\n").Model.Llm.GradientCheckpointing);
        Assert.True(Parse("model:\n  llm:\n    gradient_checkpointing: true\n").Model.Llm.GradientCheckpointing);
        var e = Fails("seed: 1\nmodel:\n  llm:\n    gradient_checkpointing: maybe\n");
        Assert.Equal((4, "model.llm.gradient_checkpointing"), (e.Line, e.Field));
    }

    [Fact]
    public void BadEnumAndChoicesSuggest()
    {
        var e = Fails("train_mode: flwo\n");
        Assert.Equal("train_mode", e.Field);
        Assert.Contains("did you mean 'flow'", e.Fix);
        var t = Fails("model:\n  llm:\n    lora_target_modules: [q_proj, v_prj]\n");
        Assert.Contains("'v_prj'", t.Problem);
        Assert.Contains("v_proj", t.Fix);
        Assert.Equal("model.flow.vocoder", Fails("model:\n  flow:\n    vocoder: bigvgan\n").Field);
        Assert.Equal("device", Fails("device: gpu0\n").Field);
    }

    [Fact]
    public void BadYamlNamesLine()
    {
        var e = Fails("seed: 1\nmodel:\n  llm: [unclosed\n");
        Assert.Contains("invalid YAML", e.Problem);
        Assert.NotNull(e.Line);
        Assert.Equal("/tmp/cfg/test.yaml", e.File);
    }

    [Fact]
    public void KeyGivenTwiceViaBasicIsAnError()
    {
        var e = Fails("basic:\n  seed: 1\nseed: 2\n");
        Assert.Equal("seed", e.Field);
        Assert.Contains("given twice", e.Problem);
    }

    [Fact]
    public void SectionMustBeMapping()
    {
        var e = Fails("model: 3\n");
        Assert.Equal("model", e.Field);
        Assert.Contains("section", e.Problem);
    }

    [Fact]
    public void MissingPathsAreNamedWithTheirLines()
    {
        var dir = TestPaths.NewTempDir();
        var file = Path.Combine(dir, "c.yaml");
        File.WriteAllText(file, "model:\n  llm:\n    model_path: nowhere/llm\ndata:\n  train_path: train.jsonl\n");
        File.WriteAllText(Path.Combine(dir, "train.jsonl"), "");
        var c = ConfigLoader.Load(file);
        var problems = ConfigValidator.MissingPaths(c);
        Assert.Contains(problems, p => p.StartsWith($"{file}:3: model.llm.model_path: folder '{Path.Combine(dir, "nowhere", "llm")}' does not exist"));
        Assert.DoesNotContain(problems, p => p.Contains("data.train_path"));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void WriterOutputReadsBackTheSame()
    {
        var c = Parse(ForkYaml, "/proj/c.yaml");
        var yaml = ConfigWriter.ToYaml(c);
        var again = Parse(yaml, "/elsewhere/c.yaml"); // absolute paths stay as they are
        Assert.Equal(yaml, ConfigWriter.ToYaml(again));
        Assert.Equal(c.Model.Flow.ModelPath, again.Model.Flow.ModelPath);
    }
}
