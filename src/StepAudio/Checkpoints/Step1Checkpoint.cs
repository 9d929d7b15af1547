using StepAudio.Llm;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Checkpoints;

/// <summary>
/// Loads Step-Audio-EditX's LLM from a Hugging Face folder (<c>config.json</c> plus
/// <c>model.safetensors.index.json</c> and shards, or one <c>model.safetensors</c>), bf16 or fp32 on disk, into the
/// dtype and device asked for. The model is first built on the <c>meta</c> device (shapes only) and each tensor is
/// put in place as it is read, so the 7 GB checkpoint is never held twice.
/// </summary>
public static class Step1Checkpoint
{
    /// <summary>
    /// Loads the model in <paramref name="folder"/>. With <paramref name="strict"/> (the default) any missing,
    /// unexpected or mis-shaped key fails with a report naming them.
    /// </summary>
    public static Step1LoadResult Load(string folder, ScalarType dtype = ScalarType.Float32, Device? device = null,
        bool strict = true)
    {
        var configPath = Path.Combine(folder, "config.json");
        var config = Step1Config.FromJsonFile(configPath);
        return Load(folder, config, dtype, device, strict);
    }

    /// <summary>Loads the weights in <paramref name="weights"/> (folder or .safetensors file) for <paramref name="config"/>.</summary>
    public static Step1LoadResult Load(string weights, Step1Config config, ScalarType dtype = ScalarType.Float32,
        Device? device = null, bool strict = true)
    {
        device ??= CPU;
        using var files = HfCheckpointFiles.Open(weights);
        if (strict) CheckSizes(config, files);
        var model = new Step1ForCausalLM(config, torch.device(DeviceType.META), dtype);
        try
        {
            var report = StateDictLoader.Load(model, files, dtype, device, strict, Step1Lora.IsLoraParameter, InitMissing);
            return new Step1LoadResult(model, report);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The config's sizes against the tensors the files hold, before a model is built from them: a config.json that
    /// does not belong to these weights fails here, naming the field, instead of building the wrong model.
    /// </summary>
    static void CheckSizes(Step1Config config, HfCheckpointFiles files)
    {
        var source = Path.Combine(Directory.Exists(files.Source) ? files.Source : Path.GetDirectoryName(files.Source) ?? ".", "config.json");
        if (files.KeyToFile.TryGetValue("model.embed_tokens.weight", out var f) && f.Entries["model.embed_tokens.weight"].Shape is [var vocab, var hidden])
        {
            if (vocab != config.VocabSize)
                throw new InputException(source, null, "vocab_size", $"says {config.VocabSize}, the weights hold {vocab} rows", "use the config.json of these weights");
            if (hidden != config.HiddenSize)
                throw new InputException(source, null, "hidden_size", $"says {config.HiddenSize}, the weights are {hidden} wide", "use the config.json of these weights");
        }
        int layers = files.KeyToFile.Keys.Select(LayerIndex).DefaultIfEmpty(-1).Max() + 1;
        if (layers != config.NumHiddenLayers)
            throw new InputException(source, null, "num_hidden_layers", $"says {config.NumHiddenLayers}, the weights hold {layers} layers",
                "use the config.json of these weights");
    }

    static int LayerIndex(string key)
    {
        const string prefix = "model.layers.";
        if (!key.StartsWith(prefix, StringComparison.Ordinal)) return -1;
        int end = key.IndexOf('.', prefix.Length);
        return end > prefix.Length && int.TryParse(key.AsSpan(prefix.Length, end - prefix.Length), out var i) ? i : -1;
    }

    static void InitMissing(string key, Tensor value)
    {
        using var _ = no_grad();
        if (key.EndsWith("layernorm.weight", StringComparison.Ordinal) || key == "model.norm.weight") nn.init.ones_(value);
        else nn.init.normal_(value, 0, 0.02);
    }
}

/// <summary>A loaded Step1 model and what the loader found.</summary>
public sealed record Step1LoadResult(Step1ForCausalLM Model, CheckpointLoadReport Report);
