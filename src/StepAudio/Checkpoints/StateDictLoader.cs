using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Checkpoints;

/// <summary>
/// Fills a module's parameters (and buffers) from a checkpoint. Every key is matched first; unless told otherwise,
/// a missing, unexpected or mis-shaped key fails before anything is copied, with a report that names them.
/// Large checkpoints stream from safetensors files one tensor at a time, so they are never held twice.
/// </summary>
public static class StateDictLoader
{
    /// <summary>
    /// Loads the checkpoint file at <paramref name="path"/> (PyTorch zip <c>.pt</c> or <c>.safetensors</c>) into
    /// <paramref name="module"/>: keys renamed and weight norm folded as <paramref name="options"/> says, then matched
    /// and copied as <see cref="Load(nn.Module, IReadOnlyDictionary{string, Tensor}, string, LoadOptions)"/> does.
    /// The flow (<c>flow.pt</c>) and HiFT (<c>hift.pt</c>) load through here.
    /// </summary>
    public static CheckpointLoadReport Load(nn.Module module, string path, LoadOptions? options = null)
    {
        var all = StateDictFile.Load(path);
        try
        {
            return Load(module, all, path, options);
        }
        finally
        {
            foreach (var t in all.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Renames the keys of <paramref name="stateDict"/> (<see cref="LoadOptions.SelectPrefix"/>,
    /// <see cref="LoadOptions.StripPrefix"/>), folds weight norm if asked, then matches and copies them into
    /// <paramref name="module"/> (see <see cref="Load(nn.Module, IReadOnlyDictionary{string, Tensor}, string, bool)"/>).
    /// </summary>
    public static CheckpointLoadReport Load(nn.Module module, IReadOnlyDictionary<string, Tensor> stateDict, string source,
        LoadOptions? options)
    {
        options ??= new LoadOptions();
        var renamed = new Dictionary<string, Tensor>();
        foreach (var (stored, t) in stateDict)
        {
            var key = stored;
            if (options.SelectPrefix is { } select)
            {
                if (!key.StartsWith(select, StringComparison.Ordinal)) continue;
                key = key[select.Length..];
            }
            if (options.StripPrefix is { } strip && key.StartsWith(strip, StringComparison.Ordinal)) key = key[strip.Length..];
            if (options.Rename?.Invoke(key) is { } name) key = name;
            if (!renamed.TryAdd(key, t))
                throw new InputException(source, null, stored, $"is '{key}' once its prefix is removed, and '{key}' is stored too",
                    "keep one of the two copies");
        }
        var merged = options.FoldWeightNorm ? WeightNorm.Merge(renamed, source) : renamed;
        try
        {
            return Match(module, merged, source, options.Strict, options.Only);
        }
        finally
        {
            foreach (var (k, t) in merged)
                if (!renamed.TryGetValue(k, out var kept) || !ReferenceEquals(kept, t)) t.Dispose();
        }
    }

    /// <summary>
    /// Copies an in-memory state dict (a small checkpoint such as hift.pt) into <paramref name="module"/>'s state
    /// dict, converting dtypes. With <paramref name="strict"/> any mismatch throws an <see cref="InputException"/>
    /// naming <paramref name="source"/> before anything is copied.
    /// </summary>
    public static CheckpointLoadReport Load(nn.Module module, IReadOnlyDictionary<string, Tensor> stateDict, string source,
        bool strict = true) => Match(module, stateDict, source, strict, only: null);

    static CheckpointLoadReport Match(nn.Module module, IReadOnlyDictionary<string, Tensor> stateDict, string source,
        bool strict, Func<string, bool>? only)
    {
        var target = module.state_dict().Where(kv => only is null || only(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        var report = Compare(source, target.ToDictionary(kv => kv.Key, kv => kv.Value.shape),
            stateDict.ToDictionary(kv => kv.Key, kv => kv.Value.shape));
        if (strict && !report.IsExact)
            throw new InputException(source, null, null, $"does not match {module.GetName()}: {report}",
                "check that the file is the right checkpoint for this model and that its config (preset, sizes) matches");
        using var noGrad = no_grad();
        foreach (var (key, t) in target)
            if (stateDict.TryGetValue(key, out var value) && value.shape.SequenceEqual(t.shape))
                t.copy_(value);
        return report;
    }

    /// <summary>Matches the keys and shapes a model expects against those a checkpoint holds (keys sorted).</summary>
    public static CheckpointLoadReport Compare(string source, IReadOnlyDictionary<string, long[]> expected,
        IReadOnlyDictionary<string, long[]> found)
    {
        var missing = expected.Keys.Where(k => !found.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var unexpected = found.Keys.Where(k => !expected.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var mismatched = expected.Where(kv => found.TryGetValue(kv.Key, out var f) && !f.SequenceEqual(kv.Value))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new ShapeMismatch(kv.Key, kv.Value, found[kv.Key])).ToList();
        return new CheckpointLoadReport(source, missing, unexpected, mismatched,
            expected.Count - missing.Count - mismatched.Count);
    }

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
        var report = Compare(files.Source, expected.ToDictionary(kv => kv.Key, kv => kv.Value.shape),
            files.KeyToFile.ToDictionary(kv => kv.Key, kv => kv.Value.Entries[kv.Key].Shape));
        var bad = report.Mismatched.Select(m => m.Key).ToHashSet();
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

/// <summary>How a checkpoint's keys are matched to a model by <see cref="StateDictLoader"/>.</summary>
public sealed record LoadOptions
{
    /// <summary>Fail on any missing, unexpected or mis-shaped key, before anything is copied (default).</summary>
    public bool Strict { get; init; } = true;
    /// <summary>Keep only the keys under this prefix, without it (e.g. <c>decoder.</c> to load the CFM from a whole-flow file).</summary>
    public string? SelectPrefix { get; init; }
    /// <summary>Remove this prefix where a key has it (upstream's HiFT loader strips <c>generator.</c>).</summary>
    public string? StripPrefix { get; init; }
    /// <summary>Fold weight-norm pairs (<c>weight_g/weight_v</c> or <c>parametrizations.weight.original0/1</c>) into <c>weight</c>.</summary>
    public bool FoldWeightNorm { get; init; }
    /// <summary>Maps a stored key (after the prefixes) to the model's name for it; null leaves it as is (then unexpected).</summary>
    public Func<string, string?>? Rename { get; init; }
    /// <summary>The model keys this checkpoint is expected to fill (default: all), e.g. only the LoRA tensors of an adapter.</summary>
    public Func<string, bool>? Only { get; init; }
}
