using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// The flow's token encoder (stepvocoder/cosyvoice2/transformer/upsample_encoder_v2.py): linear embed with rel-pos
/// encoding → look-ahead conv → <c>num_blocks</c> conformer blocks → ×<c>up_stride</c> upsampling → <c>up_embed</c> →
/// <c>num_up_blocks</c> conformer blocks → <c>after_norm</c>.
/// <para>
/// Padding: upstream masks padded frames only inside attention, so in a padded batch the look-ahead convolution of
/// the last valid frames reads the padded frames' embed output (not zeros, as when the sample runs alone), and a
/// padded sample's result depends on the batch. <c>maskPadding</c> in <see cref="Forward"/> zeroes the
/// padded frames before that convolution, which makes every valid frame equal to the sample's solo result (the
/// upsampling conv is causal and attention is key-masked, so nothing else leaks). <c>false</c> is upstream-exact.
/// </para>
/// </summary>
public sealed class UpsampleConformerEncoderV2 : nn.Module
{
#pragma warning disable IDE1006
    readonly LinearNoSubsampling embed;
    readonly PreLookaheadLayer pre_lookahead_layer;
    readonly ModuleList<ConformerEncoderLayer> encoders;
    readonly Upsample1D up_layer;
    readonly LinearNoSubsampling up_embed;
    readonly ModuleList<ConformerEncoderLayer> up_encoders;
    readonly LayerNorm after_norm;
#pragma warning restore IDE1006
    readonly bool normalizeBefore;

    public UpsampleConformerEncoderV2(UpsampleConformerEncoderConfig c) : base(nameof(UpsampleConformerEncoderV2))
    {
        if (c.InputLayer != "linear" || c.PosEncLayerType != "rel_pos_espnet" || c.SelfattentionLayerType != "rel_selfattn")
            throw new NotSupportedException(
                $"encoder: only input_layer=linear, pos_enc_layer_type=rel_pos_espnet, selfattention_layer_type=rel_selfattn " +
                $"are implemented (got {c.InputLayer}, {c.PosEncLayerType}, {c.SelfattentionLayerType})");
        Config = c;
        normalizeBefore = c.NormalizeBefore;
        embed = new LinearNoSubsampling(c.InputSize, c.OutputSize, c.DropoutRate,
            new EspnetRelPositionalEncoding(c.OutputSize, c.PositionalDropoutRate));
        pre_lookahead_layer = new PreLookaheadLayer(c.OutputSize, c.PreLookaheadLen);
        encoders = nn.ModuleList(Enumerable.Range(0, c.NumBlocks).Select(_ => Block(c)).ToArray());
        up_layer = new Upsample1D(c.OutputSize, c.OutputSize, c.UpStride, c.UpScaleFactor);
        // Upstream builds up_embed with input_size too; it only works because input_size == output_size.
        up_embed = new LinearNoSubsampling(c.InputSize, c.OutputSize, c.DropoutRate,
            new EspnetRelPositionalEncoding(c.OutputSize, c.PositionalDropoutRate));
        up_encoders = nn.ModuleList(Enumerable.Range(0, c.NumUpBlocks).Select(_ => Block(c)).ToArray());
        after_norm = nn.LayerNorm(c.OutputSize, 1e-5);
        RegisterComponents();
    }

    /// <summary>The configuration this encoder was built from.</summary>
    public UpsampleConformerEncoderConfig Config { get; }

    static ConformerEncoderLayer Block(UpsampleConformerEncoderConfig c) => new(c.OutputSize,
        new RelPositionMultiHeadedAttention(c.AttentionHeads, c.OutputSize, c.AttentionDropoutRate, c.KeyBias),
        new PositionwiseFeedForward(c.OutputSize, c.LinearUnits, c.DropoutRate), c.DropoutRate, c.NormalizeBefore);

    /// <summary>
    /// xs [B, T, input_size], xs_lens [B] → (xs [B, T·stride, output_size], masks [B, 1, T·stride] bool, lengths).
    /// <paramref name="trace"/>, when given, receives <c>embed_out</c>, <c>pre_lookahead_out</c>,
    /// <c>up_layer_out</c> ([B, C, T']) and <c>up_embed_out</c>.
    /// </summary>
    public (Tensor Xs, Tensor Masks, Tensor Lengths) Forward(Tensor xs, Tensor xsLens, bool maskPadding = true,
        IDictionary<string, Tensor>? trace = null)
    {
        using var scope = NewDisposeScope();
        var masks = FlowMasks.Valid(xsLens, xs.size(1)).unsqueeze(1);       // (B, 1, T)
        var (x, posEmb) = embed.Forward(xs);
        Trace(trace, "embed_out", x);
        if (maskPadding) x = x * masks.transpose(1, 2).to_type(x.dtype);
        x = pre_lookahead_layer.forward(x);
        Trace(trace, "pre_lookahead_out", x);
        foreach (var layer in encoders) x = layer.Forward(x, masks, posEmb);

        var (up, lens) = up_layer.Forward(x.transpose(1, 2), xsLens);
        Trace(trace, "up_layer_out", up);
        x = up.transpose(1, 2);
        masks = FlowMasks.Valid(lens, x.size(1)).unsqueeze(1);
        (x, posEmb) = up_embed.Forward(x);
        Trace(trace, "up_embed_out", x);
        foreach (var layer in up_encoders) x = layer.Forward(x, masks, posEmb);
        if (normalizeBefore) x = after_norm.forward(x);
        return (x.MoveToOuterDisposeScope(), masks.MoveToOuterDisposeScope(), lens.MoveToOuterDisposeScope());
    }

    static void Trace(IDictionary<string, Tensor>? trace, string name, Tensor t)
    {
        if (trace != null) trace[name] = t.detach().clone().MoveToOuterDisposeScope();
    }
}
