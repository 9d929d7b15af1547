using static TorchSharp.torch;

namespace StepAudio.Checkpoints;

/// <summary>
/// Folds PyTorch weight normalisation into plain weights: <c>weight = g · v / ‖v‖</c>, the norm taken over every
/// dimension but 0 (torch <c>_weight_norm</c> with <c>dim=0</c>, also for ConvTranspose1d). Accepts both layouts
/// torch writes: <c>X.parametrizations.weight.original0/original1</c> (torch.nn.utils.parametrizations.weight_norm)
/// and legacy <c>X.weight_g/X.weight_v</c> (torch.nn.utils.weight_norm).
/// </summary>
public static class WeightNorm
{
    const string ParamG = ".parametrizations.weight.original0", ParamV = ".parametrizations.weight.original1";
    const string LegacyG = ".weight_g", LegacyV = ".weight_v";

    /// <summary>
    /// A new dictionary where every complete (g, v) pair is replaced by <c>X.weight</c>; other tensors are passed
    /// through as the same objects. A lone g or v is left as it is, so a strict load reports it.
    /// </summary>
    public static Dictionary<string, Tensor> Merge(IReadOnlyDictionary<string, Tensor> stateDict, string source = "state dict")
    {
        var result = new Dictionary<string, Tensor>(stateDict.Count);
        var consumed = new HashSet<string>();
        foreach (var (key, g) in stateDict)
        {
            foreach (var (gSuffix, vSuffix) in new[] { (ParamG, ParamV), (LegacyG, LegacyV) })
            {
                if (!key.EndsWith(gSuffix, StringComparison.Ordinal)) continue;
                var prefix = key[..^gSuffix.Length];
                if (!stateDict.TryGetValue(prefix + vSuffix, out var v)) break;
                var weightKey = prefix + ".weight";
                if (stateDict.ContainsKey(weightKey) || result.ContainsKey(weightKey))
                    throw new InputException(source, null, weightKey, "is stored both plainly and as weight-norm (g, v)",
                        "keep one of the two layouts; re-save the checkpoint");
                try { result[weightKey] = Fold(g, v, prefix); }
                catch (InvalidDataException e)
                {
                    foreach (var t in result.Values.Where(t => !stateDict.Values.Contains(t))) t.Dispose();
                    throw new InputException(source, null, prefix, e.Message[(prefix.Length + 2)..], "re-save the checkpoint", e);
                }
                consumed.Add(key);
                consumed.Add(prefix + vSuffix);
                break;
            }
        }
        foreach (var (key, t) in stateDict)
            if (!consumed.Contains(key)) result.TryAdd(key, t);
        return result;
    }

    /// <summary><c>v · (g / ‖v‖)</c> with the norm over all dims but 0, computed like torch's <c>_weight_norm</c>.</summary>
    public static Tensor Fold(Tensor g, Tensor v, string name = "weight")
    {
        if (g.dim() != v.dim() || g.shape[0] != v.shape[0] || g.numel() != g.shape[0])
            throw new InvalidDataException(
                $"{name}: weight-norm g [{string.Join(", ", g.shape)}] does not fit v [{string.Join(", ", v.shape)}]");
        using var scope = NewDisposeScope();
        var shape = Enumerable.Repeat(1L, (int)v.dim()).ToArray();
        shape[0] = v.shape[0];
        var norm = linalg.vector_norm(v.reshape(v.shape[0], -1), 2, [1], keepdim: true).reshape(shape);
        return (v * (g / norm)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The inverse of <see cref="Merge"/> for the layers <paramref name="isWeightNormed"/> names by their weight's key:
    /// each such <c>X.weight</c> becomes <c>X.parametrizations.weight.original0</c> (g = ‖weight‖ over all dims but 0)
    /// and <c>original1</c> (v = the weight), the layout torch's parametrized weight_norm saves. Other tensors are
    /// passed through as the same objects; the new ones belong to the caller's dispose scope.
    /// </summary>
    public static Dictionary<string, Tensor> Split(IEnumerable<KeyValuePair<string, Tensor>> stateDict, Func<string, bool> isWeightNormed)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var (key, w) in stateDict)
        {
            if (!isWeightNormed(key) || !key.EndsWith(".weight", StringComparison.Ordinal))
            {
                result.Add(key, w);
                continue;
            }
            var prefix = key[..^".weight".Length];
            var shape = Enumerable.Repeat(1L, (int)w.dim()).ToArray();
            shape[0] = w.shape[0];
            result.Add(prefix + ParamG, linalg.vector_norm(w.detach().reshape(w.shape[0], -1), 2, [1], keepdim: true).reshape(shape));
            result.Add(prefix + ParamV, w.detach());
        }
        return result;
    }
}
