using System.Text.Json;
using System.Text.Json.Nodes;
using StepAudio.Llm;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Checkpoints;

/// <summary>
/// PEFT adapter folders (peft/utils/save_and_load.py): <c>adapter_model.safetensors</c> with
/// <c>{"format":"pt"}</c> metadata and saved key names (<c>base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight</c>,
/// no adapter name), and <c>adapter_config.json</c> (indent 2, sorted keys). Loadable by
/// <c>PeftModel.from_pretrained</c>, and written by it.
/// </summary>
public static class PeftAdapter
{
    /// <summary>Adapter weights file name.</summary>
    public const string WeightsName = "adapter_model.safetensors";
    /// <summary>Adapter config file name.</summary>
    public const string ConfigName = "adapter_config.json";
    const string SavedPrefix = "base_model.model.";

    /// <summary>The saved PEFT key of a LoRA parameter (<c>model.layers.0.self_attn.q_proj.lora_A.weight</c>).</summary>
    public static string SavedKey(string parameterName) => SavedPrefix + parameterName;

    /// <summary>The key of the same tensor in a live <c>PeftModel</c>'s state_dict (adapter name <c>default</c>).</summary>
    public static string LiveKey(string parameterName, string adapterName = "default") =>
        SavedPrefix + parameterName.Replace(".lora_A.", $".lora_A.{adapterName}.").Replace(".lora_B.", $".lora_B.{adapterName}.");

    /// <summary>The model parameter name of a saved PEFT key, or null when it is not one.</summary>
    public static string? ParameterName(string savedKey) =>
        savedKey.StartsWith(SavedPrefix, StringComparison.Ordinal) ? savedKey[SavedPrefix.Length..] : null;

    /// <summary>The LoRA tensors of <paramref name="model"/> under their parameter names (shared, not copied).</summary>
    public static Dictionary<string, Tensor> LoraTensors(Step1ForCausalLM model) =>
        model.named_parameters().Where(p => Step1Lora.IsLoraParameter(p.name))
            .ToDictionary(p => p.name, p => (Tensor)p.parameter);

    /// <summary>Writes the adapter of <paramref name="model"/> to <paramref name="folder"/>.</summary>
    public static void Save(Step1ForCausalLM model, string folder, LoraConfig config, string? baseModel = null)
    {
        var tensors = LoraTensors(model);
        if (tensors.Count == 0) throw new InvalidOperationException("the model has no LoRA adapters to save");
        Directory.CreateDirectory(folder);
        SafetensorsFile.Save(Path.Combine(folder, WeightsName),
            tensors.Select(kv => KeyValuePair.Create(SavedKey(kv.Key), kv.Value)));
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigName), ConfigJson(config, baseModel));
    }

    /// <summary>adapter_config.json text as PEFT writes it (<c>json.dumps(indent=2, sort_keys=True)</c>).</summary>
    public static string ConfigJson(LoraConfig config, string? baseModel)
    {
        var o = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["alpha_pattern"] = new JsonObject(), ["auto_mapping"] = null,
            ["base_model_name_or_path"] = baseModel, ["bias"] = "none", ["fan_in_fan_out"] = false,
            ["inference_mode"] = true, ["init_lora_weights"] = true, ["layers_pattern"] = null,
            ["layers_to_transform"] = null, ["lora_alpha"] = JsonNumber(config.Alpha), ["lora_bias"] = false,
            ["lora_dropout"] = config.Dropout, ["modules_to_save"] = null, ["peft_type"] = "LORA", ["r"] = config.R,
            ["rank_pattern"] = new JsonObject(), ["revision"] = null,
            ["target_modules"] = new JsonArray(config.TargetModules.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
            ["task_type"] = "CAUSAL_LM", ["use_dora"] = false, ["use_rslora"] = config.UseRslora,
        };
        var root = new JsonObject();
        foreach (var (k, v) in o) root[k] = v;
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, IndentSize = 2 });
    }

    static JsonNode JsonNumber(double v) => v == Math.Floor(v) && Math.Abs(v) < 1e15 ? JsonValue.Create((long)v) : JsonValue.Create(v);

    /// <summary>Reads the LoRA settings of an <c>adapter_config.json</c>.</summary>
    public static LoraConfig ReadConfig(string folder)
    {
        var path = Path.Combine(folder, ConfigName);
        if (!File.Exists(path))
            throw new InputException(path, null, null, "adapter_config.json not found", "point to a PEFT adapter folder");
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InputException(path, (int?)e.LineNumber + 1, null, "not valid JSON", "fix the file", e); }
        if (root is not JsonObject o) throw new InputException(path, null, null, "is not a JSON object", "fix the file");
        return InputException.ReadingJson(path, () => Bind(o, path));
    }

    static LoraConfig Bind(JsonObject o, string path)
    {
        var type = o["peft_type"]?.GetValue<string>();
        if (type != "LORA")
            throw new InputException(path, null, "peft_type", $"is '{type}', not 'LORA'", "use a LoRA adapter");
        if (o["use_dora"]?.GetValue<bool>() == true)
            throw new InputException(path, null, "use_dora", "DoRA adapters are not supported", "use plain LoRA");
        if (o["rank_pattern"] is JsonObject rp && rp.Count > 0 || o["alpha_pattern"] is JsonObject ap && ap.Count > 0)
            throw new InputException(path, null, "rank_pattern", "per-module ranks or alphas are not supported",
                "use one r and lora_alpha for all modules");
        var targets = o["target_modules"] switch
        {
            JsonArray a => a.Select(n => n!.GetValue<string>()).ToList(),
            JsonValue v => new List<string> { v.GetValue<string>() },
            _ => throw new InputException(path, null, "target_modules", "is missing", "list the adapted modules"),
        };
        return new LoraConfig
        {
            R = o["r"]?.GetValue<int>() ?? 8,
            Alpha = o["lora_alpha"]?.GetValue<double>() ?? 8,
            Dropout = o["lora_dropout"]?.GetValue<double>() ?? 0,
            TargetModules = targets,
            UseRslora = o["use_rslora"]?.GetValue<bool>() ?? false,
        }.Validate(path);
    }

    /// <summary>
    /// Loads the adapter in <paramref name="folder"/> into <paramref name="model"/>, injecting LoRA layers first when
    /// the model has none. Every adapter tensor must match a LoRA parameter and vice versa.
    /// </summary>
    public static LoraConfig Load(Step1ForCausalLM model, string folder)
    {
        var config = ReadConfig(folder);
        var path = Path.Combine(folder, WeightsName);
        if (!File.Exists(path))
            throw new InputException(path, null, null, "adapter weights not found", "save the adapter with safetensors");
        using var file = SafetensorsFile.Open(path);
        // The rank in adapter_config.json against the tensors, before any layer is built from it.
        var loraA = file.Entries.FirstOrDefault(e => e.Key.Contains(".lora_A.", StringComparison.Ordinal));
        if (loraA.Value is { } a && a.Shape.Length == 2 && a.Shape[0] != config.R)
            throw new InputException(Path.Combine(folder, ConfigName), null, "r", $"says {config.R}, the adapter's lora_A tensors have rank {a.Shape[0]}",
                "use the adapter_config.json saved with these weights");
        if (Step1Lora.Adapters(model).Count == 0) Step1Lora.Inject(model, config);
        var stored = file.Entries.Keys.ToDictionary(k => k, k => file.Read(k));
        try
        {
            StateDictLoader.Load(model, stored, path, new LoadOptions
            {
                Rename = key => ParameterName(key)?.Replace(".lora_A.default.", ".lora_A.").Replace(".lora_B.default.", ".lora_B."),
                Only = Step1Lora.IsLoraParameter,
            });
        }
        finally
        {
            foreach (var t in stored.Values) t.Dispose();
        }
        return config;
    }
}
