using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// ESPnet's relative positional encoding (CosyVoice transformer/embedding.py <c>EspnetRelPositionalEncoding</c>): scales
/// x by √d and returns the table for relative positions T−1 … −(T−1) as [1, 2T−1, d]. It has no parameters; the table
/// entries equal upstream's 5000-long table sliced around its centre, because each entry depends only on its position.
/// </summary>
public sealed class EspnetRelPositionalEncoding
{
    readonly int dModel;
    readonly double dropoutRate;

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

    /// <summary>The [1, 2T−1, d] table for relative positions T−1 down to −(T−1).</summary>
    public Tensor PositionEncoding(long size, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        // Same float32 ops as upstream extend_pe: position * div_term, sin on even and cos on odd channels.
        var divTerm = exp(arange(0, dModel, 2, ScalarType.Float32) * (float)(-(Math.Log(10000.0) / dModel)));
        var position = arange(size - 1, -size, -1, ScalarType.Float32).unsqueeze(1); // T-1 ... -(T-1)
        var arg = position * divTerm.unsqueeze(0);
        var pe = stack(new[] { sin(arg), cos(arg) }, 2).reshape(2 * size - 1, dModel);
        return pe.unsqueeze(0).to(dtype, device).MoveToOuterDisposeScope();
    }
}
