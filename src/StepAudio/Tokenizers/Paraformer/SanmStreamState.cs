using static TorchSharp.torch;

namespace StepAudio.Tokenizers.Paraformer;

/// <summary>
/// The encoder side of ParaformerStreaming's <c>init_cache</c> for one utterance: the position counter
/// (<c>start_idx</c>), the feature frames carried into the next chunk (<c>feats</c>, zeros at the start) and each
/// layer's k/v cache (<c>opt</c>). A fresh state per utterance is what upstream's tokenizer uses.
/// </summary>
public sealed class SanmStreamState : IDisposable
{
    Tensor carried;
    SanmKvCache?[]? layers;

    /// <param name="inputSize">Feature width (n_mels · lfr_m).</param>
    /// <param name="chunkSize">Upstream's <c>chunk_size</c> [left, chunk, right] (tokenizer.py: [0, 4, 5]).</param>
    /// <param name="lookBack">
    /// <c>encoder_chunk_look_back</c>: chunks of k/v kept (4 in tokenizer.py); 0 keeps none, −1 keeps all.
    /// </param>
    public SanmStreamState(long inputSize, int[] chunkSize, int lookBack)
    {
        ArgumentNullException.ThrowIfNull(chunkSize);
        if (chunkSize.Length != 3 || chunkSize.Any(c => c < 0))
            throw new ArgumentException($"chunk_size must be 3 values ≥ 0, got [{string.Join(",", chunkSize)}]", nameof(chunkSize));
        if (lookBack < -1) throw new ArgumentException($"encoder_chunk_look_back must be ≥ −1, got {lookBack}", nameof(lookBack));
        ChunkSize = (int[])chunkSize.Clone();
        LookBack = lookBack;
        carried = zeros(1, chunkSize[0] + chunkSize[2], inputSize, ScalarType.Float32).DetachFromDisposeScope();
    }

    /// <summary>Upstream's <c>chunk_size</c>.</summary>
    public int[] ChunkSize { get; }
    /// <summary>Upstream's <c>encoder_chunk_look_back</c>.</summary>
    public int LookBack { get; }
    /// <summary>Frames position-encoded so far.</summary>
    public long StartIdx { get; set; }

    /// <summary>
    /// <c>_add_overlap_chunk</c>: returns carried ++ <paramref name="x"/> and keeps its last
    /// <c>chunk_size[0] + chunk_size[2]</c> frames for the next chunk.
    /// </summary>
    public Tensor AddOverlap(Tensor x)
    {
        var overlap = cat([carried.to(x.device), x], 1);
        var old = carried;
        carried = PySlice.TakeLast(overlap, 1, ChunkSize[0] + ChunkSize[2]).contiguous().DetachFromDisposeScope();
        old.Dispose();
        return overlap;
    }

    /// <summary>Layer <paramref name="index"/>'s k/v cache, null before the first chunk or without look-back.</summary>
    public SanmKvCache? LayerCache(int index) => layers is null ? null : layers[index];

    /// <summary>Keeps the layers' new caches when look-back is on (upstream stores <c>opt</c> only then).</summary>
    public void SetLayerCaches(SanmKvCache?[] next)
    {
        if (LookBack > 0 || LookBack == -1)
        {
            if (layers is not null)
                foreach (var (old, i) in layers.Select((c, i) => (c, i)))
                    if (old is not null && !ReferenceEquals(old, next[i])) old.Dispose();
            layers = next;
        }
        else foreach (var c in next) c?.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        carried.Dispose();
        if (layers is not null) foreach (var c in layers) c?.Dispose();
        layers = null;
    }
}
