using System.Reflection;
using StepAudio.Flow;
using StepAudio.Llm;
using StepAudio.Vocoder;

namespace StepAudio.Config;

/// <summary>Range checks, path resolution and path-existence checks for a bound config.</summary>
public static class ConfigValidator
{
    // Every name and range below comes from the type that uses it: LoraConfig, Step1Config, FlowConfig, VocoderFactory.
    static IReadOnlyList<string> LoraTargets => LoraConfig.KnownTargets;

    /// <summary>Resolves relative paths given in the file against its folder, then checks every range.</summary>
    public static void Validate(StepAudioConfig c)
    {
        if (c.SourcePath != null) ResolvePaths(c, "", Path.GetDirectoryName(c.SourcePath)!, c.KeyLines);
        var llm = c.Model.Llm;
        var flow = c.Model.Flow;
        Check(c, "device", Platform.TorchDevices.Parse(c.Device) is not null, $"'{c.Device}' is not a device", "use cpu, cuda or cuda:N");
        Check(c, "log_interval", c.LogInterval >= 1, $"must be ≥ 1, got {c.LogInterval}", "log every N ≥ 1 steps");
        Check(c, "val_interval", c.ValInterval >= 1, $"must be ≥ 1, got {c.ValInterval}", "validate every N ≥ 1 epochs");
        Check(c, "max_epoch", c.MaxEpoch >= 0, $"must be ≥ 0, got {c.MaxEpoch}", "use a non-negative count");
        Check(c, "model.llm.preset", llm.Preset == null || Step1Config.PresetNames.Contains(llm.Preset),
            $"unknown preset '{llm.Preset}'", "use one of: " + string.Join(", ", Step1Config.PresetNames));
        Check(c, "model.llm.base_dtype", llm.BaseDtype is "bf16" or "fp32", $"unknown dtype '{llm.BaseDtype}'",
            "use bf16 (the released weights' dtype) or fp32");
        Check(c, "model.llm.lora_r", llm.LoraR is >= 1 and <= LoraConfig.MaxRank, $"must be between 1 and {LoraConfig.MaxRank}, got {llm.LoraR}",
            "typical ranks are 4–64");
        Check(c, "model.llm.lora_alpha", llm.LoraAlpha > 0 && double.IsFinite(llm.LoraAlpha),
            $"must be > 0, got {llm.LoraAlpha}", "alpha is usually 1–4 × lora_r");
        Check(c, "model.llm.lora_dropout", llm.LoraDropout is >= 0 and < 1, $"must be in [0, 1), got {llm.LoraDropout}",
            "typical values are 0–0.1");
        Check(c, "model.llm.lora_target_modules", llm.LoraTargetModules.Count > 0, "is empty",
            "list at least one of: " + string.Join(", ", LoraTargets));
        foreach (var m in llm.LoraTargetModules)
            Check(c, "model.llm.lora_target_modules", LoraTargets.Contains(m), $"'{m}' is not a Step1 linear layer",
                ConfigLoader.Suggest(m, LoraTargets) is { } s ? $"did you mean '{s}'?" : "use: " + string.Join(", ", LoraTargets));
        Check(c, "model.flow.preset", flow.Preset == null || FlowConfig.PresetNames.Contains(flow.Preset),
            $"unknown preset '{flow.Preset}'", "use one of: " + string.Join(", ", FlowConfig.PresetNames));
        Check(c, "model.flow.n_timesteps", flow.NTimesteps is >= 1 and <= 1000, $"must be between 1 and 1000, got {flow.NTimesteps}",
            "upstream uses 10");
        Check(c, "model.flow.vocoder", VocoderFactory.Names.Contains(flow.Vocoder), $"unknown vocoder '{flow.Vocoder}'",
            "use hift (real models) or griffin_lim (tiny models)");
        var d = c.Data;
        Check(c, "data.batch_size", d.BatchSize >= 1, $"must be ≥ 1, got {d.BatchSize}", "use 1 or more");
        Check(c, "data.sample_rate", d.SampleRate is >= 8000 and <= 192000, $"must be 8000–192000 Hz, got {d.SampleRate}",
            "Step-Audio-EditX works at 24000");
        Check(c, "data.max_frames_in_batch", d.MaxFramesInBatch >= 1, $"must be ≥ 1, got {d.MaxFramesInBatch}", "CosyVoice uses 2000");
        Check(c, "data.token_mel_ratio", d.TokenMelRatio >= 1, $"must be ≥ 1, got {d.TokenMelRatio}", "upstream uses 2");
        Check(c, "data.max_audio_len", d.MaxAudioLen >= 0, $"must be ≥ 0 seconds, got {d.MaxAudioLen}", "0 means no limit");
        Check(c, "data.max_text_len", d.MaxTextLen >= 0, $"must be ≥ 0, got {d.MaxTextLen}", "0 means no limit");
        Check(c, "data.num_workers", d.NumWorkers >= 0, $"must be ≥ 0, got {d.NumWorkers}", "use 0 for none");
        var f = d.Filter;
        Check(c, "data.filter.min_length", f.MinLength >= 0, $"must be ≥ 0, got {f.MinLength}", "lengths are 10 ms frames");
        Check(c, "data.filter.max_length", f.MaxLength > f.MinLength, $"must exceed min_length ({f.MinLength}), got {f.MaxLength}",
            "lengths are 10 ms frames (100 = 1 s)");
        Check(c, "data.filter.token_min_length", f.TokenMinLength >= 0, $"must be ≥ 0, got {f.TokenMinLength}", "use 0 or more");
        Check(c, "data.filter.token_max_length", f.TokenMaxLength > f.TokenMinLength,
            $"must exceed token_min_length ({f.TokenMinLength}), got {f.TokenMaxLength}", "token lengths count dual frames (25 Hz)");
        var o = c.Optim;
        Check(c, "optim.lr_llm", o.LrLlm > 0 && o.LrLlm < 1, $"must be in (0, 1), got {o.LrLlm}", "the default is 1e-4");
        Check(c, "optim.lr_flow", o.LrFlow > 0 && o.LrFlow < 1, $"must be in (0, 1), got {o.LrFlow}", "the default is 1e-5");
        Check(c, "optim.warmup_steps", o.WarmupSteps >= 0, $"must be ≥ 0, got {o.WarmupSteps}", "0 disables warm-up");
        Check(c, "optim.weight_decay", o.WeightDecay >= 0 && o.WeightDecay < 1, $"must be in [0, 1), got {o.WeightDecay}", "AdamW usually uses 0.01");
        Check(c, "optim.grad_clip", o.GradClip > 0, $"must be > 0, got {o.GradClip}", "the default is 5.0");
        Check(c, "optim.accum_grad", o.AccumGrad >= 1, $"must be ≥ 1, got {o.AccumGrad}", "1 means no accumulation");
        Check(c, "optim.scheduler", o.Scheduler is "constant" or "cosine", $"unknown scheduler '{o.Scheduler}'", "use constant or cosine");
        Check(c, "optim.min_lr_ratio", o.MinLrRatio is >= 0 and <= 1, $"must be in [0, 1], got {o.MinLrRatio}", "0.1 decays to a tenth");
        Check(c, "optim.ema_decay", o.EmaDecay is >= 0 and < 1, $"must be in [0, 1), got {o.EmaDecay}", "0 disables EMA; 0.999 is typical");
        Check(c, "num_threads", c.NumThreads >= 0, $"must be ≥ 0, got {c.NumThreads}", "0 uses LibTorch's default");
        Check(c, "save.state_interval", c.Save.StateInterval >= 0, $"must be ≥ 0, got {c.Save.StateInterval}", "0 saves last/ at epoch ends only");
        Check(c, "save.sample_interval", c.Save.SampleInterval >= 0, $"must be ≥ 0, got {c.Save.SampleInterval}", "0 disables samples");
        Check(c, "save.sample_count", c.Save.SampleCount >= 0, $"must be ≥ 0, got {c.Save.SampleCount}", "use a few records");
        Check(c, "loss.llm_weight", c.Loss.LlmWeight >= 0, $"must be ≥ 0, got {c.Loss.LlmWeight}", "the default is 0.4");
        Check(c, "loss.flow_weight", c.Loss.FlowWeight >= 0, $"must be ≥ 0, got {c.Loss.FlowWeight}", "the default is 0.6");
        Check(c, "loss.flow_weight", c.Loss.LlmWeight + c.Loss.FlowWeight > 0, "llm_weight and flow_weight are both 0",
            "give at least one a positive weight");
        var st = c.Stage;
        Check(c, "stage.stage1_epochs", st.Stage1Epochs >= 0, $"must be ≥ 0, got {st.Stage1Epochs}", "0 skips the stage");
        Check(c, "stage.stage2_epochs", st.Stage2Epochs >= 0, $"must be ≥ 0, got {st.Stage2Epochs}", "0 skips the stage");
        Check(c, "stage.stage3_epochs", st.Stage3Epochs >= 0, $"must be ≥ 0, got {st.Stage3Epochs}", "0 skips the stage");
        Check(c, "stage.joint_lr_scale", st.JointLrScale > 0 && st.JointLrScale <= 1, $"must be in (0, 1], got {st.JointLrScale}",
            "the default is 0.1");
        Check(c, "save.save_interval", c.Save.SaveInterval >= 0, $"must be ≥ 0, got {c.Save.SaveInterval}", "0 disables epoch checkpoints");
        Check(c, "save.ckpt_dir", !string.IsNullOrWhiteSpace(c.Save.CkptDir), "is empty", "name a folder for checkpoints");
    }

    /// <summary>
    /// Model and data paths that are missing, as readable problems. <c>stepaudio check</c> prints them as warnings;
    /// training treats them as errors. A model section with neither a path nor a preset is a problem too.
    /// </summary>
    public static IReadOnlyList<string> MissingPaths(StepAudioConfig c)
    {
        var problems = new List<string>();
        void Need(string key, string? path, bool folder, string fix)
        {
            if (string.IsNullOrEmpty(path) || (folder ? Directory.Exists(path) : File.Exists(path))) return;
            problems.Add(Describe(c, key, $"{(folder ? "folder" : "file")} '{path}' does not exist", fix));
        }
        Need("model.llm.model_path", c.Model.Llm.ModelPath, true,
            "download stepfun-ai/Step-Audio-EditX there, or set model.llm.preset: tiny");
        Need("model.flow.model_path", c.Model.Flow.ModelPath, true,
            "point it at Step-Audio-EditX/CosyVoice-300M-25Hz, or set model.flow.preset: tiny");
        Need("model.tokenizer.model_path", c.Model.Tokenizer.ModelPath, true, "point it at Step-Audio-Tokenizer");
        Need("data.train_path", c.Data.TrainPath, false, "create the JSONL manifest or fix the path");
        Need("data.val_path", c.Data.ValPath, false, "create the JSONL manifest or fix the path");
        if (c.TrainMode != TrainMode.Flow && c.Model.Llm.ModelPath == null && c.Model.Llm.Preset == null)
            problems.Add(Describe(c, "model.llm", "has neither model_path nor preset", "set one of them"));
        if (c.TrainMode != TrainMode.Llm && c.Model.Flow.ModelPath == null && c.Model.Flow.Preset == null)
            problems.Add(Describe(c, "model.flow", "has neither model_path nor preset", "set one of them"));
        if (c.Data.TrainPath == null)
            problems.Add(Describe(c, "data.train_path", "is not set", "point it at a JSONL manifest"));
        return problems;
    }

    static string Describe(StepAudioConfig c, string key, string problem, string fix) => c.Error(key, problem, fix).Message;

    static void Check(StepAudioConfig c, string key, bool ok, string problem, string fix)
    {
        if (!ok) throw c.Error(key, problem, fix);
    }

    static void ResolvePaths(object section, string prefix, string baseDir, IReadOnlyDictionary<string, int> given)
    {
        foreach (var (key, prop) in ConfigLoader.Properties(section.GetType()))
        {
            var value = prop.GetValue(section);
            if (prop.GetCustomAttribute<ConfigPathAttribute>() != null)
            {
                if (value is string s && s.Length > 0 && given.ContainsKey(prefix + key))
                    prop.SetValue(section, Path.GetFullPath(Path.Combine(baseDir, ExpandHome(s))));
            }
            else if (value != null && prop.PropertyType.IsClass && prop.PropertyType != typeof(string) && !prop.PropertyType.IsGenericType)
            {
                ResolvePaths(value, prefix + key + ".", baseDir, given);
            }
        }
    }

    static string ExpandHome(string p) => p.StartsWith("~/", StringComparison.Ordinal)
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), p[2..])
        : p;
}
