using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Checkpoints;

/// <summary>
/// Fills a module's parameters from safetensors files, one tensor at a time: each tensor is read, converted to the
/// target dtype and device, and put in place before the next is read, so a checkpoint is never held twice. Every
/// key is matched first; unless told otherwise, a missing, unexpected or mis-shaped key fails before any data is read.
/// </summary>
public static class StateDictLoader
{
    /// <summary>
    /// Loads <paramref name="files"/> into <paramref name="module"/>. Parameters for which <paramref name="skip"/>
    /// returns true are not expected in the files (LoRA tensors). With <paramref name="strict"/> false, problems are
    /// only reported, and missing parameters that are still shape-only (meta) are given fresh values
    /// (<paramref name="initMissing"/>).
    /// </summary>
    public static CheckpointLoadReport Load(nn.Module module, HfCheckpointFiles files, ScalarType dtype, Device device,
        bool strict = true, Func<string, bool>? skip = null, Action<string, Tensor>? initMissing = null)
    {
        var expected = module.named_parameters()
            .Where(p => skip is null || !skip(p.name))
            .ToDictionary(p => p.name, p => p.parameter);
        var missing = expected.Keys.Where(k => !files.KeyToFile.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var unexpected = files.KeyToFile.Keys.Where(k => !expected.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var mismatched = new List<ShapeMismatch>();
        foreach (var (key, p) in expected)
            if (files.KeyToFile.TryGetValue(key, out var f) && !f.Entries[key].Shape.SequenceEqual(p.shape))
                mismatched.Add(new ShapeMismatch(key, p.shape, f.Entries[key].Shape));
        var bad = mismatched.Select(m => m.Key).ToHashSet();
        var report = new CheckpointLoadReport(files.Source, missing, unexpected, mismatched,
            expected.Count - missing.Count - mismatched.Count);
        if (strict && !report.IsExact)
            throw new InputException(files.Source, null, null,
                "checkpoint does not match the model: " + report,
                "check config.json belongs to these weights, or load with strict: false to accept the differences");

        var slots = ParameterSlots.Index(module);
        foreach (var (key, p) in expected)
        {
            bool requiresGrad = p.requires_grad;
            if (files.KeyToFile.TryGetValue(key, out var file) && !bad.Contains(key))
            {
                using var scope = NewDisposeScope();
                var t = file.Read(key, dtype);
                if (t.device != device) t = t.to(device);
                var value = t.DetachFromDisposeScope();
                if (p.device_type == DeviceType.META || p.dtype != dtype || p.device != device)
                    ParameterSlots.Replace(slots, key, value, requiresGrad);
                else
                {
                    using (no_grad()) p.copy_(value);
                    value.Dispose();
                }
            }
            else if (p.device_type == DeviceType.META)
            {
                var value = empty(p.shape, dtype, device);
                if (initMissing is not null) initMissing(key, value);
                else using (no_grad()) nn.init.normal_(value, 0, 0.02);
                ParameterSlots.Replace(slots, key, value, requiresGrad);
            }
        }
        return report;
    }
}
