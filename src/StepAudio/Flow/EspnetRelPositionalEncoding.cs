using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// ESPnet's relative positional encoding (CosyVoice transformer/embedding.py <c>EspnetRelPositionalEncoding</c>): scales
/// x by √d and returns the table for relative positions T−1 … −(T−1) as [1, 2T−1, d]. It has no parameters; the table
/// entries equal upstream's 5000-long table sliced around its centre, because each entry depends only on its position.
/// Like upstream's <c>extend_pe</c>, it keeps the longest table built so far and slices it, instead of recomputing
/// ~10 small ops per call (the encoder runs twice per training step).
/// </summary>
public sealed class EspnetRelPositionalEncoding
{
    readonly int dModel;
    readonly double dropoutRate;
    Tensor? pe;   // [1, 2·T_max − 1, d], position T_max − 1 first; owned here, outside any dispose scope

    public EspnetRelPositionalEncoding(int dModel, double dropoutRate)
    {
        this.dModel = dModel;
        this.dropoutRate = dropoutRate;
        XScale = Math.Sqrt(dModel);
    }

    /// <summary>√d_model.</summary>
    public double XScale { get; }

    /// <summary>(x·√d, pos_emb [1, 2T−1, d]) with dropout on both in training.</summary>
    public (Tensor X, Tensor PosEmb) Forward(Tensor x, bool training)
    {
        var pos = PositionEncoding(x.size(1), x.dtype, x.device);
        x = x * XScale;
        return (nn.functional.dropout(x, dropoutRate, training), nn.functional.dropout(pos, dropoutRate, training));
    }

    /// <summary>The [1, 2T−1, d] table for relative positions T−1 down to −(T−1) (a view of the cached table).</summary>
    public Tensor PositionEncoding(long size, ScalarType dtype, Device device)
    {
        if (pe is null || pe.size(1) < 2 * size - 1 || pe.dtype != dtype || pe.device_type != device.type
            || pe.device_index != device.index)
        {
            long maxLen = pe is null ? size : Math.Max(size, (pe.size(1) + 1) / 2);
            pe?.Dispose();
            pe = Table(maxLen, dtype, device).DetachFromDisposeScope();
        }
        long center = pe.size(1) / 2;   // the row of relative position 0
        return pe.narrow(1, center - (size - 1), 2 * size - 1);
    }

    Tensor Table(long size, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        // Same float32 ops as upstream extend_pe: position * div_term, sin on even and cos on odd channels.
        var divTerm = exp(arange(0, dModel, 2, ScalarType.Float32) * (float)(-(Math.Log(10000.0) / dModel)));
        var position = arange(size - 1, -size, -1, ScalarType.Float32).unsqueeze(1); // T-1 ... -(T-1)
        var arg = position * divTerm.unsqueeze(0);
        var table = stack(new[] { sin(arg), cos(arg) }, 2).reshape(2 * size - 1, dModel);
        return table.unsqueeze(0).to(dtype, device).MoveToOuterDisposeScope();
    }
}
