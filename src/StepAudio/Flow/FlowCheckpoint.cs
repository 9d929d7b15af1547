using StepAudio.Checkpoints;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// Loads flow weights with upstream's exact keys from a PyTorch zip checkpoint (<c>flow.pt</c>, a plain
/// <c>torch.save(state_dict)</c>) or a safetensors file, and reports missing, unexpected and mis-shaped keys.
/// </summary>
public static class FlowCheckpoint
{
    /// <summary>
    /// Compares the file's tensors with <paramref name="model"/>'s state_dict and copies every key whose name and shape
    /// match (converted to the parameter's dtype). With <paramref name="strict"/> (default) any mismatch throws an
    /// <see cref="InputException"/> naming the file and the keys, before anything is copied.
    /// <paramref name="stripPrefix"/> selects the keys under a prefix and removes it (e.g. <c>decoder.</c> to load a
    /// <see cref="CausalConditionalCfm"/> from a whole-flow file); keys outside it are ignored.
    /// </summary>
    public static StateDictReport Load(nn.Module model, string path, bool strict = true, string? stripPrefix = null)
    {
        if (!File.Exists(path))
            throw new InputException(path, null, null, "checkpoint file not found", "check model.flow.model_path");
        var all = Read(path);
        var file = all;
        try
        {
            if (stripPrefix != null)
                file = file.Where(kv => kv.Key.StartsWith(stripPrefix, StringComparison.Ordinal))
                    .ToDictionary(kv => kv.Key[stripPrefix.Length..], kv => kv.Value);
            var target = model.state_dict();
            var missing = target.Keys.Where(k => !file.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
            var unexpected = file.Keys.Where(k => !target.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
            var shapes = target.Keys.Where(file.ContainsKey)
                .Where(k => !target[k].shape.SequenceEqual(file[k].shape))
                .Select(k => new ShapeMismatch(k, target[k].shape, file[k].shape)).ToList();
            int loaded = 0;
            var report = new StateDictReport(path, missing, unexpected, shapes, 0);
            if (strict && !report.IsExactMatch)
                throw new InputException(path, null, null, "checkpoint does not match the flow model: " + report,
                    "use the flow.pt/safetensors of the same architecture, or check the flow config sizes");
            using (no_grad())
                foreach (var (key, dst) in target)
                    if (file.TryGetValue(key, out var src) && dst.shape.SequenceEqual(src.shape))
                    {
                        dst.copy_(src.to(dst.dtype, dst.device));
                        loaded++;
                    }
            return report with { Loaded = loaded };
        }
        finally
        {
            foreach (var t in all.Values) t.Dispose();
        }
    }

    /// <summary>All tensors of a <c>.safetensors</c> file, or of a PyTorch zip checkpoint otherwise.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return SafetensorsFile.LoadAll(path);
        try
        {
            var raw = PyTorchUnpickler.UnpickleStateDict(path);
            var result = new Dictionary<string, Tensor>();
            foreach (var key in raw.Keys)
                if (raw[key] is Tensor t) result[(string)key] = t;
            return result;
        }
        catch (Exception e) when (e is NotImplementedException or InvalidDataException or IOException
                                      or InvalidCastException)
        {
            throw new InputException(path, null, null, "not a readable PyTorch zip checkpoint: " + e.Message,
                "re-save it with torch.save(state_dict) (zip format, torch >= 1.6) or convert to safetensors", e);
        }
    }

    /// <summary>Writes the model's state_dict as safetensors (upstream keys, <c>{"format":"pt"}</c> metadata).</summary>
    public static void SaveSafetensors(nn.Module model, string path) => SafetensorsFile.Save(path, model.state_dict());
}
