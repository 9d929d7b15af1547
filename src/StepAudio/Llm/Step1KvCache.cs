using static TorchSharp.torch;

namespace StepAudio.Llm;

/// <summary>
/// Per-layer keys and values of the tokens seen so far (before the GQA repeat), for incremental decoding.
/// Dispose it when generation ends.
/// </summary>
public sealed class Step1KvCache : IDisposable
{
    readonly Tensor?[] keys, values;

    /// <summary>An empty cache for <paramref name="layers"/> layers.</summary>
    public Step1KvCache(int layers)
    {
        keys = new Tensor?[layers];
        values = new Tensor?[layers];
    }

    /// <summary>Tokens cached so far.</summary>
    public long Length => keys[0]?.shape[2] ?? 0;

    /// <summary>Appends <c>[B, groups, S, D]</c> keys/values of one layer and returns the full ones.</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var oldK = keys[layer];
        var oldV = values[layer];
        var newK = oldK is null ? k.detach().clone() : cat(new[] { oldK, k.detach() }, 2);
        var newV = oldV is null ? v.detach().clone() : cat(new[] { oldV, v.detach() }, 2);
        newK.DetachFromDisposeScope();
        newV.DetachFromDisposeScope();
        oldK?.Dispose();
        oldV?.Dispose();
        keys[layer] = newK;
        values[layer] = newV;
        return (newK, newV);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in keys) t?.Dispose();
        foreach (var t in values) t?.Dispose();
        Array.Clear(keys);
        Array.Clear(values);
    }
}
