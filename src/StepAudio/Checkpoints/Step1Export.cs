using System.Collections;
using System.Text.Json.Nodes;
using StepAudio.Llm;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace StepAudio.Checkpoints;

/// <summary>
/// Writes a LoRA-tuned Step1 in the forms its users load: merged full weights in the Hugging Face layout, and a
/// torch <c>.pt</c> checkpoint for the fork's <c>load_finetuned_model</c> with the PEFT adapter beside it.
/// </summary>
public static class Step1Export
{
    /// <summary>
    /// Writes <c>config.json</c> and the merged weights (<c>W + scaling·B·A</c> for adapted layers, upstream key names,
    /// no LoRA tensors) as <c>model.safetensors</c>, or as shards of at most <paramref name="maxShardBytes"/> with
    /// <c>model.safetensors.index.json</c>. The model itself is left unmerged.
    /// </summary>
    public static void SaveMerged(Step1ForCausalLM model, string folder, ScalarType dtype = ScalarType.BFloat16,
        long maxShardBytes = 5_000_000_000)
    {
        Directory.CreateDirectory(folder);
        var adapters = Step1Lora.Adapters(model);
        var names = model.named_parameters().Select(p => p.name).Where(n => !Step1Lora.IsLoraParameter(n)).ToList();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var shards = new List<List<string>>();
        long size = 0;
        foreach (var name in names)
        {
            long bytes = parameters[name].numel() * ElementSize(dtype);
            if (shards.Count == 0 || (size + bytes > maxShardBytes && shards[^1].Count > 0))
            {
                shards.Add(new List<string>());
                size = 0;
            }
            shards[^1].Add(name);
            size += bytes;
        }
        var weightMap = new JsonObject();
        for (int s = 0; s < shards.Count; s++)
        {
            var file = shards.Count == 1 ? HfCheckpointFiles.SingleName
                : $"model-{s + 1:D5}-of-{shards.Count:D5}.safetensors";
            using var scope = NewDisposeScope();
            var tensors = shards[s].Select(name =>
            {
                var w = (Tensor)parameters[name];
                var module = name[..name.LastIndexOf('.')];
                if (adapters.TryGetValue(module, out var lora) && !lora.Merged)
                    w = w.detach() + lora.DeltaWeight();
                return KeyValuePair.Create(name, w.detach().to_type(dtype));
            }).ToList();
            SafetensorsFile.Save(Path.Combine(folder, file), tensors);
            foreach (var name in shards[s]) weightMap[name] = file;
        }
        if (shards.Count > 1)
        {
            long total = names.Sum(n => parameters[n].numel() * ElementSize(dtype));
            var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = total }, ["weight_map"] = weightMap };
            AtomicFile.WriteAllText(Path.Combine(folder, HfCheckpointFiles.IndexName), index.ToJsonString());
        }
        AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), model.Config.ToJson(TorchDtypeName(dtype)));
    }

    /// <summary>
    /// Writes <paramref name="path"/> (<c>llm_best.pt</c>) as <c>{"model_state_dict": {...}, "epoch": …}</c> whose
    /// LoRA tensors carry live-PeftModel names (<c>base_model.model.model.layers.N.self_attn.q_proj.lora_A.default.weight</c>),
    /// which is what <c>load_state_dict(..., strict=False)</c> on a PeftModel matches, and writes the PEFT adapter
    /// files into the same folder for <c>PeftModel.from_pretrained(llm, dirname(path))</c>.
    /// </summary>
    public static void SavePt(Step1ForCausalLM model, string path, LoraConfig config, int? epoch = null,
        string? baseModel = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        using var scope = NewDisposeScope();
        var stateDict = new Hashtable();
        // A copy with storage of its own: a parameter may be a view into an optimizer's flat buffer (ContiguousAdamW),
        // and the pickler would write the view's offset into that whole buffer with only the view's bytes.
        foreach (var (name, t) in PeftAdapter.LoraTensors(model))
            stateDict[PeftAdapter.LiveKey(name)] = t.detach().cpu().clone();
        if (stateDict.Count == 0) throw new InvalidOperationException("the model has no LoRA adapters to save");
        var root = new Hashtable { ["model_state_dict"] = stateDict };
        if (epoch is { } e) root["epoch"] = e;
        foreach (var (k, v) in metadata ?? new Dictionary<string, string>()) root[k] = v;
        AtomicFile.Write(path, tmp =>
        {
            using var stream = File.Create(tmp);
            PyTorchPickler.PickleStateDict(stream, root);
        });
        PeftAdapter.Save(model, folder, config, baseModel);
    }

    /// <summary>Reads the LoRA tensors of a <c>.pt</c> written by <see cref="SavePt"/> (or by the fork) back into the model.</summary>
    public static int LoadPt(Step1ForCausalLM model, string path)
    {
        if (!File.Exists(path)) throw new InputException(path, null, null, "checkpoint not found", "check the path");
        Hashtable root;
        try
        {
            using var stream = File.OpenRead(path);
            root = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception e) when (e is not InputException)
        {
            throw new InputException(path, null, null, $"cannot be read as a PyTorch checkpoint ({e.GetType().Name}: {e.Message})",
                "use an llm_*.pt written by this toolkit or the fork", e);
        }
        var stateDict = root.ContainsKey("model_state_dict") ? (IDictionary)root["model_state_dict"]! : root;
        var targets = PeftAdapter.LoraTensors(model);
        int loaded = 0;
        using var _ = no_grad();
        foreach (var (name, t) in targets)
            if (stateDict[PeftAdapter.LiveKey(name)] is Tensor v)
            {
                t.copy_(v);
                loaded++;
            }
        if (loaded != targets.Count)
            throw new InputException(path, null, "model_state_dict",
                $"holds {loaded} of the model's {targets.Count} LoRA tensors under PeftModel names",
                "use a checkpoint trained with the same target modules and layer count");
        return loaded;
    }

    static int ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float64 => 8, ScalarType.Float32 => 4, ScalarType.BFloat16 or ScalarType.Float16 => 2,
        _ => throw new NotSupportedException($"cannot export weights as {t}"),
    };

    static string TorchDtypeName(ScalarType t) => t switch
    {
        ScalarType.Float32 => "float32", ScalarType.BFloat16 => "bfloat16", ScalarType.Float16 => "float16",
        _ => "float64",
    };
}
