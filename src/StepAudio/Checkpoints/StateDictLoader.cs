using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Checkpoints;

/// <summary>Copies named tensors into a module's parameters and buffers, reporting every mismatch first.</summary>
public static class StateDictLoader
{
    /// <summary>
    /// Compares <paramref name="stateDict"/> with <paramref name="module"/>'s state dict and copies every tensor whose
    /// key and shape match (converting dtype). With <paramref name="strict"/> any mismatch throws an
    /// <see cref="InputException"/> naming <paramref name="source"/> before anything is copied.
    /// </summary>
    public static StateDictMismatch Load(nn.Module module, IReadOnlyDictionary<string, Tensor> stateDict, string source,
        bool strict = true)
    {
        var target = module.state_dict();
        var mismatch = Compare(target, stateDict);
        if (strict && !mismatch.IsEmpty)
            throw new InputException(source, null, null,
                $"does not match {module.GetName()}: {mismatch.Describe()}",
                "check that the file is the right checkpoint for this model and that its config (preset, sizes) matches");
        using var noGrad = no_grad();
        foreach (var (key, t) in target)
            if (stateDict.TryGetValue(key, out var value) && value.shape.SequenceEqual(t.shape))
                t.copy_(value);
        return mismatch;
    }

    /// <summary>The differences between a module's state dict and a checkpoint's, keys sorted.</summary>
    public static StateDictMismatch Compare(IReadOnlyDictionary<string, Tensor> target,
        IReadOnlyDictionary<string, Tensor> stateDict)
    {
        var missing = target.Keys.Where(k => !stateDict.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var unexpected = stateDict.Keys.Where(k => !target.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var shapes = target.Where(kv => stateDict.TryGetValue(kv.Key, out var v) && !v.shape.SequenceEqual(kv.Value.shape))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"{kv.Key}: file [{string.Join(", ", stateDict[kv.Key].shape)}] vs model [{string.Join(", ", kv.Value.shape)}]")
            .ToList();
        return new StateDictMismatch(missing, unexpected, shapes);
    }
}
