using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using StepAudio.Checkpoints;
using StepAudio.Config;
using StepAudio.Llm;
using static TorchSharp.torch;

namespace StepAudio.Training;

/// <summary>What <c>stepaudio export</c> writes.</summary>
public enum ExportFormat
{
    /// <summary>A PEFT adapter folder (<c>adapter_model.safetensors</c>, <c>adapter_config.json</c>) plus the flow as <c>flow.pt</c>.</summary>
    Peft,
    /// <summary>A Hugging Face folder of the LLM with LoRA merged, its <c>tokenizer.model</c>, and <c>flow.pt</c>.</summary>
    Merged,
    /// <summary>The released Step-Audio-EditX layout: merged LLM at the top, <c>CosyVoice-300M-25Hz/flow.pt</c> beside the flow base's other files.</summary>
    Official,
}

/// <summary>What to export, from where, to where.</summary>
public sealed record ExportOptions
{
    /// <summary>The run folder (<c>stepaudio finetune --output</c>).</summary>
    public required string Run { get; init; }
    /// <summary>The output folder.</summary>
    public required string Output { get; init; }
    /// <summary>The layout to write.</summary>
    public required ExportFormat Format { get; init; }
    /// <summary><c>best</c> (llm_best/, flow_best.pt), <c>epoch_N</c> (llm_epoch_N/, flow_epoch_N.pt) or <c>last</c> (last/).</summary>
    public string Checkpoint { get; init; } = "best";
    /// <summary>Replace an output folder that exists and is not empty.</summary>
    public bool Overwrite { get; init; }
}

/// <summary>What an export wrote: its files (relative to <see cref="Output"/>) and what it could not include.</summary>
public sealed record ExportResult(string Output, ExportFormat Format, string Checkpoint, IReadOnlyList<string> Files,
    IReadOnlyList<string> Notes);

/// <summary>
/// Turns a run folder's checkpoint into files other tools load. Each part is exported when the chosen checkpoint
/// holds it, and an absent part is named in the result's notes and the README.txt written into the output:
/// <list type="bullet">
/// <item><c>peft</c>: the LoRA as a PEFT adapter folder (<c>base_model_name_or_path</c> = the run's LLM base) and,
///   since a PEFT adapter covers the LLM only and the run's flow would otherwise be lost, the flow as <c>flow.pt</c>
///   beside it (PEFT loaders ignore it). Needs the LLM: a checkpoint without one is an error.</item>
/// <item><c>merged</c>: the LLM rebuilt from the run's config (base rebuilt exactly as the run built it), the LoRA
///   merged in, saved in the base's dtype (the real model's bf16, float32 for a preset) with <c>tokenizer.model</c>
///   (and, for a real base, its config.json, code and tokenizer files); the flow as a plain <c>torch.save(state_dict)</c>
///   <c>flow.pt</c> with the flow's own keys.</item>
/// <item><c>official</c>: the merged LLM at the top and <c>CosyVoice-300M-25Hz/flow.pt</c>, with the flow base folder's
///   other files (hift.pt, campplus.onnx, cosyvoice.yaml, …) copied when the base was a real folder, so the output
///   replaces the released <c>Step-Audio-EditX</c> folder.</item>
/// </list>
/// <c>last</c> exports the raw trainable weights of <c>last/</c> (<c>llm.*</c> / <c>flow.*</c>), not EMA shadows; the
/// flow's frozen weights come from a flow checkpoint of the same run (they never change during a run), or from the
/// rebuilt base when the run saved none. The output is written into a temporary folder beside it and renamed into
/// place, so a failed export leaves no half-written folder.
/// </summary>
public static class RunExport
{
    /// <summary>The flow's folder inside the released model folder.</summary>
    public const string OfficialFlowFolder = "CosyVoice-300M-25Hz";
    /// <summary>The flow file every format writes.</summary>
    public const string FlowFile = "flow.pt";
    /// <summary>The explanation written into every export.</summary>
    public const string ReadmeFile = "README.txt";

    /// <summary>Files of the released CosyVoice-300M-25Hz folder besides flow.pt.</summary>
    static readonly string[] OfficialFlowCompanions = ["cosyvoice.yaml", "hift.pt", "campplus.onnx", "speech_tokenizer_v1.onnx"];

    /// <summary>Parses <c>peft</c>, <c>merged</c> or <c>official</c>.</summary>
    public static ExportFormat ParseFormat(string text) => text.Trim().ToLowerInvariant() switch
    {
        "peft" => ExportFormat.Peft,
        "merged" => ExportFormat.Merged,
        "official" => ExportFormat.Official,
        _ => throw new InputException("--format", null, null, $"'{text}' is not an export format", "use peft, merged or official"),
    };

    /// <summary>Exports <paramref name="options"/>.Run as <paramref name="options"/>.Format into <paramref name="options"/>.Output.</summary>
    public static ExportResult Export(ExportOptions options)
    {
        var runDir = Path.GetFullPath(options.Run);
        var output = Path.GetFullPath(options.Output);
        var checkpoint = ParseCheckpoint(options.Checkpoint);
        var run = OpenRun(runDir);
        var config = ConfigLoader.Load(run.ConfigFile);
        var runJson = ReadRunJson(run);
        ExportFolder.Check(output, options.Overwrite, [runDir, config.Model.Llm.ModelPath, config.Model.Llm.TokenizerPath, config.Model.Flow.ModelPath,
            FlowBasePath(config, runJson)]);

        using var scope = NewDisposeScope();
        var notes = new List<string>();
        var parts = LoadParts(run, config, checkpoint, runJson, notes);
        if (parts.Lora is null && parts.Flow is null)
            throw new InputException(runDir, null, "--checkpoint",
                $"holds no LLM or flow checkpoint for '{checkpoint.Name}'" + AvailableText(run),
                "choose a checkpoint the run saved (--checkpoint best, epoch_N or last)");
        if (options.Format == ExportFormat.Peft && parts.Lora is null)
            throw new InputException(runDir, null, "--format peft",
                $"needs the LLM's LoRA, and checkpoint '{checkpoint.Name}' has none: {parts.LlmAbsentReason}",
                "a PEFT adapter holds only the LLM: export the flow with --format merged or official, or choose a checkpoint with an LLM" + AvailableText(run));

        try
        {
            var files = ExportFolder.Write(output, tmp =>
            {
                var readme = options.Format switch
                {
                    ExportFormat.Peft => WritePeft(tmp, parts, config, runJson, notes),
                    ExportFormat.Merged => WriteMerged(tmp, parts, config, runJson, notes, official: false),
                    _ => WriteMerged(tmp, parts, config, runJson, notes, official: true),
                };
                File.WriteAllText(Path.Combine(tmp, ReadmeFile), Readme(options.Format, runDir, checkpoint, parts, runJson, readme, notes),
                    new UTF8Encoding(false));
            });
            return new ExportResult(output, options.Format, checkpoint.Name, files, notes);
        }
        finally
        {
            parts.Dispose();
        }
    }

    // ---- the run and its checkpoints ----

    sealed record CheckpointChoice(string Name, int? Epoch, bool Last);

    static CheckpointChoice ParseCheckpoint(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t == "best") return new CheckpointChoice("best", null, false);
        if (t == "last") return new CheckpointChoice("last", null, true);
        if (t.StartsWith("epoch_", StringComparison.Ordinal) &&
            int.TryParse(t["epoch_".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
            return new CheckpointChoice($"epoch_{n}", n, false);
        throw new InputException("--checkpoint", null, null, $"'{text}' is not a checkpoint name", "use best, last or epoch_N (N = 1, 2, …)");
    }

    internal static RunFolder OpenRun(string runDir)
    {
        if (!Directory.Exists(runDir))
            throw new InputException(runDir, null, "--run", "run folder not found", "give the folder stepaudio finetune wrote (its --output, or runs/…/run-NNN)");
        foreach (var file in new[] { "run.json", "config.yaml" })
            if (!File.Exists(Path.Combine(runDir, file)))
                throw new InputException(Path.Combine(runDir, file), null, "--run", "is missing: this folder holds no complete run",
                    "give the folder stepaudio finetune wrote (it holds run.json and config.yaml)");
        // An existing run opened for resuming: nothing is created or changed (the config is only read for new runs).
        return RunFolder.Open(null!, new RunFolderOptions { Output = runDir, Resume = true });
    }

    internal static JsonObject ReadRunJson(RunFolder run) =>
        InputException.ReadingJson(run.RunJson, () => JsonNode.Parse(File.ReadAllText(run.RunJson))!.AsObject());

    /// <summary>The weights an export is made from: LoRA tensors by parameter name, the flow's whole state dict.</summary>
    sealed class Parts : IDisposable
    {
        public Dictionary<string, Tensor>? Lora;
        public string? LlmSource, FlowSource, LlmMissing, FlowMissing, LlmAbsentReason, FlowAbsentReason;
        public Dictionary<string, Tensor>? Flow;
        public LoraConfig? LoraConfig;

        public void Dispose()
        {
            foreach (var t in (Lora?.Values ?? Enumerable.Empty<Tensor>()).Concat(Flow?.Values ?? Enumerable.Empty<Tensor>())) t.Dispose();
        }
    }

    static Parts LoadParts(RunFolder run, StepAudioConfig config, CheckpointChoice checkpoint, JsonObject runJson, List<string> notes)
    {
        var mode = runJson["mode"]?.GetValue<string>() ?? "both";
        var parts = new Parts();
        try
        {
            if (checkpoint.Last) LoadLast(run, config, parts, notes);
            else
            {
                var llmName = checkpoint.Epoch is { } e ? $"llm_epoch_{e}" : "llm_best";
                var flowName = checkpoint.Epoch is { } f ? $"flow_epoch_{f}" : "flow_best";
                var llmPt = run.LlmCheckpoint(llmName);
                var adapter = Path.Combine(Path.GetDirectoryName(llmPt)!, PeftAdapter.WeightsName);
                if (File.Exists(llmPt)) (parts.Lora, parts.LlmSource) = (LoraFromPt(llmPt), llmPt);
                else if (File.Exists(adapter)) (parts.Lora, parts.LlmSource) = (LoraFromAdapter(adapter), adapter);
                else parts.LlmMissing = llmPt;
                var flowPt = run.FlowCheckpoint(flowName);
                if (File.Exists(flowPt)) (parts.Flow, parts.FlowSource) = (StateDictFile.Load(flowPt), flowPt);
                else parts.FlowMissing = flowPt;
            }
            parts.LlmAbsentReason = mode == "flow" ? "this run trained only the flow (mode flow)"
                : checkpoint.Last ? "last/ holds no LLM weights"
                : $"{parts.LlmMissing} does not exist" + (checkpoint.Epoch is not null ? "; LLM epoch checkpoints exist only for epochs of stages that train the LLM (every save_interval epochs)" : "");
            parts.FlowAbsentReason = mode == "llm" ? "this run trained only the LLM (mode llm)"
                : checkpoint.Last ? "last/ holds no flow weights"
                : $"{parts.FlowMissing} does not exist" + (checkpoint.Epoch is not null ? "; flow epoch checkpoints exist only for epochs of stages that train the flow (every save_interval epochs)" : "");
            if (parts.Lora != null)
            {
                var c = config.Model.Llm;
                parts.LoraConfig = new LoraConfig { R = c.LoraR, Alpha = c.LoraAlpha, Dropout = c.LoraDropout, TargetModules = c.LoraTargetModules.ToArray() }
                    .Validate(run.ConfigFile);
                foreach (var (name, t) in parts.Lora)
                    if (name.Contains(".lora_A.", StringComparison.Ordinal) && (t.shape.Length != 2 || t.shape[0] != parts.LoraConfig.R))
                        throw new InputException(parts.LlmSource!, null, name,
                            $"has shape [{string.Join(", ", t.shape)}], but the run's config.yaml says lora_r {parts.LoraConfig.R}",
                            "the run folder's config.yaml must be the one the run trained with");
            }
            else notes.Add($"no LLM in this export: {parts.LlmAbsentReason}");
            if (parts.Flow is null) notes.Add($"no flow in this export: {parts.FlowAbsentReason}");
            return parts;
        }
        catch
        {
            parts.Dispose();
            throw;
        }
    }

    /// <summary>The LoRA tensors of an <c>llm_*.pt</c> (live PeftModel names) under their parameter names.</summary>
    static Dictionary<string, Tensor> LoraFromPt(string path) =>
        Rename(StateDictFile.Load(path), path, key => PeftAdapter.ParameterName(key)?
            .Replace(".lora_A.default.", ".lora_A.", StringComparison.Ordinal).Replace(".lora_B.default.", ".lora_B.", StringComparison.Ordinal));

    static Dictionary<string, Tensor> LoraFromAdapter(string path) =>
        Rename(SafetensorsFile.LoadAll(path), path, PeftAdapter.ParameterName);

    static Dictionary<string, Tensor> Rename(Dictionary<string, Tensor> stored, string path, Func<string, string?> rename)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var (key, t) in stored)
        {
            var name = rename(key);
            if (name is null || !Step1Lora.IsLoraParameter(name))
            {
                foreach (var v in stored.Values) v.Dispose();
                throw new InputException(path, null, key, "is not a LoRA tensor under a PEFT name",
                    "use an LLM checkpoint written by stepaudio finetune (llm_*/llm_*.pt)");
            }
            result[name] = t;
        }
        if (result.Count == 0)
            throw new InputException(path, null, null, "holds no LoRA tensors", "use an LLM checkpoint written by stepaudio finetune");
        return result;
    }

    static void LoadLast(RunFolder run, StepAudioConfig config, Parts parts, List<string> notes)
    {
        var state = TrainerState.Find(run.Last) ?? throw new InputException(run.Last, null, "--checkpoint last",
            "holds no saved state", "choose --checkpoint best or epoch_N" + AvailableText(run));
        var weightsPath = Path.Combine(state, "weights.safetensors");
        if (!File.Exists(weightsPath))
            throw new InputException(weightsPath, null, "--checkpoint last", "is missing from the newest state", "choose --checkpoint best or epoch_N");
        var weights = SafetensorsFile.LoadAll(weightsPath);
        try
        {
            var lora = weights.Where(kv => kv.Key.StartsWith("llm.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key["llm.".Length..], kv => kv.Value);
            var flow = weights.Where(kv => kv.Key.StartsWith("flow.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key["flow.".Length..], kv => kv.Value);
            if (lora.Count > 0)
            {
                var bad = lora.Keys.FirstOrDefault(k => !Step1Lora.IsLoraParameter(k));
                if (bad != null)
                    throw new InputException(weightsPath, null, "llm." + bad, "is not a LoRA parameter",
                        "export --checkpoint best or epoch_N (this state trained more of the LLM than LoRA)");
                parts.Lora = lora.ToDictionary(kv => kv.Key, kv => kv.Value.clone());
                parts.LlmSource = weightsPath;
            }
            else parts.LlmMissing = weightsPath;
            if (flow.Count > 0)
            {
                (parts.Flow, var baseSource) = FlowBase(run, config);
                foreach (var (name, t) in flow)
                {
                    if (!parts.Flow.TryGetValue(name, out var target) || !target.shape.SequenceEqual(t.shape))
                        throw new InputException(weightsPath, null, "flow." + name, $"is missing from, or has another shape than, the flow of {baseSource}",
                            "the run folder's config.yaml must be the one the run trained with");
                    using var _ = no_grad();
                    target.copy_(t);
                }
                parts.FlowSource = $"{weightsPath} ({flow.Count} trained tensors) over the frozen weights of {baseSource}";
            }
            else parts.FlowMissing = weightsPath;
            // last/ holds both models' trainable weights from the start: say when one has not trained yet (it is still the base).
            var stages = TrainerState.ReadPosition(state).Summary.Stages.Where(st => st.Steps > 0).Select(st => st.Stage).ToList();
            if (parts.Lora != null && !stages.Any(st => st != TrainingStage.Flow))
                notes.Add("the LLM has not trained yet at this state: its LoRA is still the initial one (B = 0) and changes nothing");
            if (parts.Flow != null && !stages.Any(st => st != TrainingStage.Llm))
                notes.Add("the flow has not trained yet at this state: flow.pt holds the base's weights");
            if (File.Exists(Path.Combine(state, "ema.safetensors")))
                notes.Add("last/ also holds EMA shadows (ema.safetensors); this export has the raw training weights — best and epoch_N checkpoints hold the EMA weights");
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>The flow's full state dict before last/'s trained tensors go in: a flow checkpoint of the run, else the rebuilt base.</summary>
    static (Dictionary<string, Tensor>, string) FlowBase(RunFolder run, StepAudioConfig config)
    {
        var checkpoints = new[] { run.FlowCheckpoint("flow_best") }
            .Concat(Directory.GetFiles(run.Path, "flow_epoch_*.pt").Order(StringComparer.Ordinal)).Where(File.Exists);
        if (checkpoints.FirstOrDefault() is { } file) return (StateDictFile.Load(file), file);
        using var models = TrainingModels.Build(config, llm: false, flow: true);
        var state = models.Flow!.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        return (state, models.FlowBase);
    }

    static string AvailableText(RunFolder run)
    {
        var found = new List<string>();
        string Both(bool llm, bool flow) => llm && flow ? "llm+flow" : llm ? "llm" : "flow";
        bool bl = File.Exists(run.LlmCheckpoint("llm_best")), bf = File.Exists(run.FlowCheckpoint("flow_best"));
        if (bl || bf) found.Add($"best ({Both(bl, bf)})");
        var epochs = Directory.GetDirectories(run.Path, "llm_epoch_*").Select(d => Path.GetFileName(d)["llm_epoch_".Length..])
            .Concat(Directory.GetFiles(run.Path, "flow_epoch_*.pt").Select(f => Path.GetFileNameWithoutExtension(f)["flow_epoch_".Length..]))
            .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0).Where(n => n > 0).Distinct().Order();
        foreach (var n in epochs)
        {
            bool l = File.Exists(run.LlmCheckpoint($"llm_epoch_{n}")), f = File.Exists(run.FlowCheckpoint($"flow_epoch_{n}"));
            if (l || f) found.Add($"epoch_{n} ({Both(l, f)})");
        }
        if (TrainerState.Find(run.Last) != null) found.Add("last");
        return found.Count == 0 ? "; the run saved no checkpoint yet" : "; the run has: " + string.Join(", ", found);
    }

    // ---- the output folder ----

    /// <summary>The folder the run's flow started from (run.json's flow_base, else model.flow.model_path); null for a preset.</summary>
    static string? FlowBasePath(StepAudioConfig config, JsonObject runJson) =>
        runJson["flow_base"]?.GetValue<string>() is { Length: > 0 } b && !b.StartsWith("preset ", StringComparison.Ordinal) ? Path.GetFullPath(b)
        : config.Model.Flow.ModelPath;

    // ---- the formats ----

    /// <summary>Writes the adapter (and flow.pt); returns the README's "how to use" lines.</summary>
    static List<string> WritePeft(string dir, Parts parts, StepAudioConfig config, JsonObject runJson, List<string> notes)
    {
        var baseModel = runJson["llm_base"]?.GetValue<string>() is { Length: > 0 } b ? b : config.Model.Llm.ModelPath;
        SafetensorsFile.Save(Path.Combine(dir, PeftAdapter.WeightsName),
            parts.Lora!.Select(kv => KeyValuePair.Create(PeftAdapter.SavedKey(kv.Key), kv.Value)));
        File.WriteAllText(Path.Combine(dir, PeftAdapter.ConfigName), PeftAdapter.ConfigJson(parts.LoraConfig!, baseModel), new UTF8Encoding(false));
        var use = new List<string>
        {
            $"{PeftAdapter.WeightsName}, {PeftAdapter.ConfigName}: the LLM's LoRA as a PEFT adapter (base_model_name_or_path: {baseModel ?? "(none)"}).",
            "  Python: PeftModel.from_pretrained(base_llm, \"<this folder>\"); C#: PeftAdapter.Load(model, \"<this folder>\").",
        };
        if (parts.Flow != null)
        {
            StateDictFile.Save(Path.Combine(dir, FlowFile), parts.Flow);
            use.Add($"{FlowFile}: the fine-tuned flow (CausalMaskedDiffWithXvec) as a plain state dict; PEFT ignores it.");
            use.Add($"  Replace {OfficialFlowFolder}/flow.pt of the released model with it, or flow.load_state_dict(torch.load(\"flow.pt\")).");
        }
        return use;
    }

    /// <summary>Writes the merged LLM and flow in the merged or official layout; returns the README's "how to use" lines.</summary>
    static List<string> WriteMerged(string dir, Parts parts, StepAudioConfig config, JsonObject runJson, List<string> notes, bool official)
    {
        var use = new List<string>();
        if (parts.Lora != null)
        {
            var dtype = WriteMergedLlm(dir, parts, config);
            var tokenizer = config.Model.Llm.TokenizerPath ?? Path.Combine(config.Model.Llm.ModelPath!, "tokenizer.model");
            if (config.Model.Llm.ModelPath is { } basePath)
            {
                // The base's own config.json (auto_map for trust_remote_code), code and tokenizer files: the folder loads like the released one.
                var copied = CopyFiles(basePath, dir, IsLlmCompanion);
                use.Add($"Copied from the base {basePath}: {(copied.Count == 0 ? "nothing" : string.Join(", ", copied))}.");
            }
            else
            {
                notes.Add("the LLM base is a preset (random weights): config.json has no auto_map, and configuration_step1.py, modeling_step1.py and " +
                          "tokenizer_config.json of the released model are not here — the official code cannot load this folder; it is for testing the pipeline");
            }
            // The tokenizer the run trained with (model.llm.tokenizer_path wins over the base's copy).
            if (!File.Exists(tokenizer))
                throw new InputException(tokenizer, null, "model.llm.tokenizer_path", "tokenizer.model not found",
                    "restore the tokenizer the run trained with, or fix model.llm.tokenizer_path in the run's config.yaml");
            File.Copy(tokenizer, Path.Combine(dir, "tokenizer.model"), overwrite: true);
            use.Add($"config.json, model*.safetensors, tokenizer.model: the LLM with LoRA merged (W + scaling·B·A), {DtypeName(dtype)}, Hugging Face layout.");
            use.Add("  Python: AutoModelForCausalLM.from_pretrained(\"<this folder>\", trust_remote_code=True); C#: Step1Checkpoint.Load(\"<this folder>\").");
        }
        if (parts.Flow != null)
        {
            var flowDir = official ? Path.Combine(dir, OfficialFlowFolder) : dir;
            Directory.CreateDirectory(flowDir);
            StateDictFile.Save(Path.Combine(flowDir, FlowFile), parts.Flow);
            var rel = official ? $"{OfficialFlowFolder}/{FlowFile}" : FlowFile;
            use.Add($"{rel}: the fine-tuned flow as a plain torch.save(state_dict) (the released flow.pt's layout and keys).");
            if (official)
            {
                var flowBasePath = FlowBasePath(config, runJson);
                if (flowBasePath is { } flowBase && Directory.Exists(flowBase))
                {
                    var copied = CopyFiles(flowBase, flowDir, name => name is not ("flow.pt" or "flow.safetensors") && !name.StartsWith('.'));
                    use.Add($"Copied from the flow base {flowBase}: {(copied.Count == 0 ? "nothing" : string.Join(", ", copied))}.");
                    var missing = OfficialFlowCompanions.Where(f => !File.Exists(Path.Combine(flowDir, f))).ToList();
                    if (missing.Count > 0) notes.Add($"{OfficialFlowFolder}/ lacks {string.Join(", ", missing)} (not in the flow base {flowBase}): copy them from the released model");
                }
                else if (flowBasePath is { } gone)
                    notes.Add($"the flow base {gone} no longer exists: copy {string.Join(", ", OfficialFlowCompanions)} from the released {OfficialFlowFolder}/ into {OfficialFlowFolder}/");
                else
                    notes.Add($"the flow base is a preset (random weights): {OfficialFlowFolder}/ lacks {string.Join(", ", OfficialFlowCompanions)}, " +
                              "which the official code needs; a preset flow does not fit the released vocoder either — this folder is for testing the pipeline");
            }
        }
        if (official)
        {
            use.Add("This folder mirrors the released Step-Audio-EditX folder: use it as the model_path of StepAudioTTS(model_path, …),");
            use.Add("  or copy its files over a copy of the released folder. Step-Audio-Tokenizer is a separate folder and is unchanged.");
            if (parts.Lora is null) use.Add("  The LLM files are not here: keep the released LLM files (config.json, model*.safetensors, tokenizer.model, *.py).");
        }
        return use;
    }

    static ScalarType WriteMergedLlm(string dir, Parts parts, StepAudioConfig config)
    {
        using var models = TrainingModels.Build(config, llm: true, flow: false);
        var llm = models.Llm!;
        var lora = PeftAdapter.LoraTensors(llm);
        var missing = lora.Keys.Where(k => !parts.Lora!.ContainsKey(k)).ToList();
        var extra = parts.Lora!.Keys.Where(k => !lora.ContainsKey(k)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new InputException(parts.LlmSource!, null, null,
                $"holds LoRA tensors that do not match the LoRA of the run's config.yaml ({missing.Count} missing, e.g. {missing.FirstOrDefault() ?? "-"}; {extra.Count} unexpected, e.g. {extra.FirstOrDefault() ?? "-"})",
                "the run folder's config.yaml must be the one the run trained with");
        using (no_grad())
            foreach (var (name, target) in lora)
            {
                var source = parts.Lora[name];
                if (!source.shape.SequenceEqual(target.shape))
                    throw new InputException(parts.LlmSource!, null, name,
                        $"has shape [{string.Join(", ", source.shape)}], the model's is [{string.Join(", ", target.shape)}]",
                        "the run folder's config.yaml must be the one the run trained with");
                target.copy_(source);
            }
        var dtype = BaseDtype(config);
        Step1Export.SaveMerged(llm, dir, dtype);
        if (llm.Config.AudioTokenOffset != 65536)   // Step1Config.FromJson's default
        {
            // A preset's own audio-token offset (the tiny tokenizer's <audio_0> is 1024), so the folder loads as a base again.
            var path = Path.Combine(dir, "config.json");
            var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            json["audio_token_offset"] = llm.Config.AudioTokenOffset;
            File.WriteAllText(path, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), new UTF8Encoding(false));
        }
        return dtype;
    }

    /// <summary>The dtype the base's weights are stored in (bf16 for the released model); float32 for a preset.</summary>
    static ScalarType BaseDtype(StepAudioConfig config)
    {
        if (config.Model.Llm.ModelPath is not { } path) return ScalarType.Float32;
        using var files = HfCheckpointFiles.Open(path);
        var entry = files.KeyToFile.TryGetValue("model.embed_tokens.weight", out var f) ? f.Entries["model.embed_tokens.weight"]
            : files.KeyToFile.First().Value.Entries[files.KeyToFile.First().Key];
        var dtype = SafetensorsFile.ToScalarType(entry.DType, files.Source);
        return dtype is ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16 ? dtype : ScalarType.BFloat16;
    }

    static string DtypeName(ScalarType t) => t switch
    {
        ScalarType.BFloat16 => "bfloat16", ScalarType.Float16 => "float16", ScalarType.Float32 => "float32", _ => t.ToString(),
    };

    static bool IsLlmCompanion(string name) =>
        !name.StartsWith('.') && name is not ("README.md" or HfCheckpointFiles.IndexName) &&
        !new[] { ".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf", ".onnx" }.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    /// <summary>Copies the top-level files of <paramref name="from"/> that <paramref name="take"/> accepts (overwriting); returns their names.</summary>
    static List<string> CopyFiles(string from, string to, Func<string, bool> take)
    {
        var copied = new List<string>();
        foreach (var file in Directory.GetFiles(from).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            if (!take(name)) continue;
            File.Copy(file, Path.Combine(to, name), overwrite: true);
            copied.Add(name);
        }
        return copied;
    }

    static string Readme(ExportFormat format, string runDir, CheckpointChoice checkpoint, Parts parts, JsonObject runJson,
        List<string> use, List<string> notes)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"stepaudio export --format {format.ToString().ToLowerInvariant()} --checkpoint {checkpoint.Name}");
        sb.AppendLine($"run:        {runDir}");
        sb.AppendLine($"exported:   {DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture)}");
        sb.AppendLine($"LLM base:   {Base(runJson, "llm_base")}");
        sb.AppendLine($"flow base:  {Base(runJson, "flow_base")}");
        sb.AppendLine($"LLM from:   {parts.LlmSource ?? "(absent)"}");
        sb.AppendLine($"flow from:  {parts.FlowSource ?? "(absent)"}");
        sb.AppendLine();
        sb.AppendLine("Contents:");
        foreach (var line in use) sb.AppendLine("  " + line);
        if (notes.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Missing or to know:");
            foreach (var n in notes) sb.AppendLine("  - " + n);
        }
        return sb.ToString();
    }

    static string Base(JsonObject runJson, string key) => runJson[key]?.GetValue<string>() is { Length: > 0 } b ? b : "(none)";
}
