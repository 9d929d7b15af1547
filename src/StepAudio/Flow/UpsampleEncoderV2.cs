// Mirrors stepvocoder/cosyvoice2/transformer/upsample_encoder_v2.py (Upsample1D, PreLookaheadLayer, UpsampleConformerEncoderV2) and the transformer/ modules only it uses: subsampling.py, embedding.py, attention.py, positionwise_feed_forward.py, encoder_layer.py.
using System.Text.Json;
using StepAudio.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StepAudio.Flow;

/// <summary><c>encoder:</c> of cosyvoice.yaml (<c>UpsampleConformerEncoderV2</c>); defaults are the shipped values.</summary>
public sealed record UpsampleConformerEncoderConfig
{
    public int InputSize { get; init; } = 512;
    public int OutputSize { get; init; } = 512;
    /// <summary>Only <c>linear</c> (LinearNoSubsampling) is used upstream.</summary>
    public string InputLayer { get; init; } = "linear";
    /// <summary>Right context of the look-ahead convolution, in token frames.</summary>
    public int PreLookaheadLen { get; init; } = 3;
    public int NumBlocks { get; init; } = 6;
    public int NumUpBlocks { get; init; } = 4;
    public int UpStride { get; init; } = 2;
    public double UpScaleFactor { get; init; } = 2;
    public int AttentionHeads { get; init; } = 8;
    public int LinearUnits { get; init; } = 2048;
    /// <summary>Only <c>rel_pos_espnet</c> is used upstream.</summary>
    public string PosEncLayerType { get; init; } = "rel_pos_espnet";
    /// <summary>Only <c>rel_selfattn</c> is used upstream.</summary>
    public string SelfattentionLayerType { get; init; } = "rel_selfattn";
    public bool KeyBias { get; init; } = true;
    public double DropoutRate { get; init; } = 0.1;
    public double PositionalDropoutRate { get; init; } = 0.1;
    public double AttentionDropoutRate { get; init; } = 0.1;
    public bool NormalizeBefore { get; init; } = true;

}

/// <summary>
/// The encoder's <c>embed</c> / <c>up_embed</c> (CosyVoice transformer/subsampling.py <c>LinearNoSubsampling</c>):
/// Linear → LayerNorm(eps 1e-5) → Dropout, then the rel-pos encoding (x·√d and the position table).
/// </summary>
public sealed class LinearNoSubsampling : nn.Module
{
#pragma warning disable IDE1006
    public readonly Sequential @out;
#pragma warning restore IDE1006
    readonly EspnetRelPositionalEncoding posEnc;

    public LinearNoSubsampling(int idim, int odim, double dropoutRate, EspnetRelPositionalEncoding posEnc)
        : base(nameof(LinearNoSubsampling))
    {
        @out = nn.Sequential(nn.Linear(idim, odim), nn.LayerNorm(odim, 1e-5), nn.Dropout(dropoutRate));
        this.posEnc = posEnc;
        RegisterComponents();
    }

    /// <summary>x [B, T, idim] → (x [B, T, odim] scaled by √odim, pos_emb [1, 2T−1, odim]).</summary>
    public (Tensor X, Tensor PosEmb) forward(Tensor x) => posEnc.forward(@out.forward(x), training);
}

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
    public (Tensor X, Tensor PosEmb) forward(Tensor x, bool training)
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

/// <summary>
/// Transformer-XL style self-attention with ESPnet's relative positions (CosyVoice transformer/attention.py
/// <c>RelPositionMultiHeadedAttention</c>): scores = ((q+u)·kᵀ + rel_shift((q+v)·pᵀ)) / √d_k over a key-padding mask.
/// </summary>
public sealed class RelPositionMultiHeadedAttention : nn.Module
{
#pragma warning disable IDE1006
    public readonly Linear linear_q;
    public readonly Linear linear_k;
    public readonly Linear linear_v;
    public readonly Linear linear_out;
    public readonly Linear linear_pos;
    public readonly Parameter pos_bias_u;
    public readonly Parameter pos_bias_v;
#pragma warning restore IDE1006
    readonly int h, dK;
    readonly double dropoutRate;

    public RelPositionMultiHeadedAttention(int nHead, int nFeat, double dropoutRate, bool keyBias)
        : base(nameof(RelPositionMultiHeadedAttention))
    {
        if (nFeat % nHead != 0) throw new ArgumentException($"n_feat {nFeat} is not a multiple of n_head {nHead}");
        h = nHead;
        dK = nFeat / nHead;
        this.dropoutRate = dropoutRate;
        linear_q = nn.Linear(nFeat, nFeat);
        linear_k = nn.Linear(nFeat, nFeat, hasBias: keyBias);
        linear_v = nn.Linear(nFeat, nFeat);
        linear_out = nn.Linear(nFeat, nFeat);
        linear_pos = nn.Linear(nFeat, nFeat, hasBias: false);
        pos_bias_u = nn.Parameter(empty(nHead, dK));
        pos_bias_v = nn.Parameter(empty(nHead, dK));
        nn.init.xavier_uniform_(pos_bias_u);
        nn.init.xavier_uniform_(pos_bias_v);
        RegisterComponents();
    }

    /// <summary>x [B, T, C], mask [B, 1, T] bool (true = real key), pos_emb [1, 2T−1, C] → [B, T, C].</summary>
    public Tensor forward(Tensor x, Tensor mask, Tensor posEmb)
    {
        using var scope = NewDisposeScope();
        long b = x.size(0), t = x.size(1);
        var q = linear_q.forward(x).view(b, t, h, dK);                       // (B, T, h, dk)
        var k = linear_k.forward(x).view(b, t, h, dK).transpose(1, 2);       // (B, h, T, dk)
        var v = linear_v.forward(x).view(b, t, h, dK).transpose(1, 2);
        long np = posEmb.size(1);
        var p = linear_pos.forward(posEmb).view(np, h, dK).permute(1, 2, 0);  // (h, dk, 2T-1)
        var qU = (q + pos_bias_u).transpose(1, 2).reshape(b * h, t, dK);     // (B*h, T, dk)
        var qV = (q + pos_bias_v).permute(2, 0, 1, 3).reshape(h, b * t, dK); // (h, B*T, dk)
        // bmm on shapes built here (TorchSharp's matmul has no native error guard).
        var ac = qU.bmm(k.reshape(b * h, t, dK).transpose(1, 2)).view(b, h, t, t);
        var bd = qV.bmm(p).view(h, b, t, np).transpose(0, 1);                // (B, h, T, 2T-1)
        bd = RelShift(bd);
        var scores = (ac + bd) / Math.Sqrt(dK);
        var keyPad = mask.unsqueeze(1).logical_not();                        // (B, 1, 1, T)
        scores = scores.masked_fill(keyPad, float.NegativeInfinity);
        var attn = softmax(scores, -1).masked_fill(keyPad, 0.0);
        attn = F.dropout(attn, dropoutRate, training);
        var ctx = attn.reshape(b * h, t, t).bmm(v.reshape(b * h, t, dK)).view(b, h, t, dK)
            .transpose(1, 2).reshape(b, t, h * dK);
        return linear_out.forward(ctx).MoveToOuterDisposeScope();
    }

    /// <summary>ESPnet's rel_shift: out[.., i, j] = x[.., i, T−1−i+j], done with upstream's pad-and-view trick.</summary>
    static Tensor RelShift(Tensor x)
    {
        long b = x.size(0), nh = x.size(1), t = x.size(2), p = x.size(3);
        var padded = cat(new[] { zeros(b, nh, t, 1, x.dtype, x.device), x }, -1).view(b, nh, p + 1, t);
        return padded.narrow(2, 1, p).view(b, nh, t, p).narrow(3, 0, p / 2 + 1);
    }
}

/// <summary>
/// wenet's positionwise_feed_forward.py, shared by CosyVoice and FunASR: w_2(dropout(activation(w_1(x)))). The conformer
/// here passes SiLU; FunASR's SANM encoder keeps the upstream default, ReLU.
/// </summary>
public sealed class PositionwiseFeedForward : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    public readonly Linear w_1;
    public readonly Linear w_2;
#pragma warning restore IDE1006
    readonly double dropoutRate;
    readonly Func<Tensor, Tensor> activation;

    /// <summary>idim → hiddenUnits → idim.</summary>
    public PositionwiseFeedForward(int idim, int hiddenUnits, double dropoutRate, Func<Tensor, Tensor> activation)
        : base(nameof(PositionwiseFeedForward))
    {
        w_1 = nn.Linear(idim, hiddenUnits);
        w_2 = nn.Linear(hiddenUnits, idim);
        this.dropoutRate = dropoutRate;
        this.activation = activation;
        RegisterComponents();
    }

    /// <summary><c>[…, idim]</c> → <c>[…, idim]</c>.</summary>
    public override Tensor forward(Tensor xs)
    {
        using var scope = NewDisposeScope();
        var h = F.dropout(activation(w_1.forward(xs)), dropoutRate, training);
        return w_2.forward(h).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// One conformer block as UpsampleConformerEncoderV2 builds it (CosyVoice transformer/encoder_layer.py
/// <c>ConformerEncoderLayer</c> with no macaron feed-forward and no convolution module): pre-norm self-attention and
/// pre-norm feed-forward, each with a residual. The norms use eps 1e-12 as in the Step-Audio-EditX code (the parity
/// fixture's description), not CosyVoice's later 1e-5.
/// </summary>
public sealed class ConformerEncoderLayer : nn.Module
{
#pragma warning disable IDE1006
    public readonly RelPositionMultiHeadedAttention self_attn;
    public readonly PositionwiseFeedForward feed_forward;
    public readonly LayerNorm norm_ff;
    public readonly LayerNorm norm_mha;
#pragma warning restore IDE1006
    readonly double dropoutRate;
    readonly bool normalizeBefore;

    /// <summary>LayerNorm eps of the block's two norms.</summary>
    public const double NormEps = 1e-12;

    public ConformerEncoderLayer(int size, RelPositionMultiHeadedAttention selfAttn, PositionwiseFeedForward feedForward,
        double dropoutRate, bool normalizeBefore) : base(nameof(ConformerEncoderLayer))
    {
        self_attn = selfAttn;
        feed_forward = feedForward;
        norm_ff = nn.LayerNorm(size, NormEps);
        norm_mha = nn.LayerNorm(size, NormEps);
        this.dropoutRate = dropoutRate;
        this.normalizeBefore = normalizeBefore;
        RegisterComponents();
    }

    /// <summary>x [B, T, C], mask [B, 1, T] bool, pos_emb [1, 2T−1, C] → [B, T, C].</summary>
    public Tensor forward(Tensor x, Tensor mask, Tensor posEmb)
    {
        using var scope = NewDisposeScope();
        var residual = x;
        if (normalizeBefore) x = norm_mha.forward(x);
        x = residual + F.dropout(self_attn.forward(x, mask, posEmb), dropoutRate, training);
        if (!normalizeBefore) x = norm_mha.forward(x);

        residual = x;
        if (normalizeBefore) x = norm_ff.forward(x);
        x = residual + F.dropout(feed_forward.forward(x), dropoutRate, training);
        if (!normalizeBefore) x = norm_ff.forward(x);
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The encoder's <c>up_layer</c> (upsample_encoder_v2.py <c>Upsample1D</c>): nearest interpolation by
/// <c>scale_factor</c>, left zero-pad of 2·stride, Conv1d(k = 2·stride + 1). Lengths scale by <c>stride</c>.
/// </summary>
public sealed class Upsample1D : nn.Module
{
#pragma warning disable IDE1006
    public readonly GuardedConv1d conv;
#pragma warning restore IDE1006

    public Upsample1D(int channels, int outChannels, int stride, double scaleFactor) : base(nameof(Upsample1D))
    {
        Stride = stride;
        ScaleFactor = scaleFactor;
        conv = new GuardedConv1d(channels, outChannels, stride * 2 + 1);
        RegisterComponents();
    }

    public int Stride { get; }
    public double ScaleFactor { get; }

    /// <summary>inputs [B, C, T] → ([B, C', ⌊T·scale⌋], lengths·stride).</summary>
    public (Tensor Outputs, Tensor Lengths) forward(Tensor inputs, Tensor inputLengths)
    {
        using var scope = NewDisposeScope();
        var up = Nearest(inputs, ScaleFactor);
        up = F.pad(up, new long[] { Stride * 2, 0 });
        var outputs = conv.call(up);
        return (outputs.MoveToOuterDisposeScope(), (inputLengths * Stride).MoveToOuterDisposeScope());
    }

    /// <summary>F.interpolate(mode="nearest", scale_factor=s) on the last axis.</summary>
    static Tensor Nearest(Tensor x, double scale)
    {
        if (scale == Math.Floor(scale) && scale >= 1) return x.repeat_interleave((long)scale, 2);
        long tIn = x.size(2), tOut = (long)Math.Floor(tIn * scale);
        // PyTorch: src = min(floor(dst * (1/scale)), T_in - 1), computed in float32.
        var src = (arange(tOut, ScalarType.Float32) * (float)(1.0 / scale)).floor().to_type(ScalarType.Int64)
            .clamp_max(tIn - 1).to(x.device);
        return x.index_select(2, src);
    }
}

/// <summary>
/// Look-ahead convolution (upsample_encoder_v2.py <c>PreLookaheadLayer</c>): right-pad by <c>pre_lookahead_len</c>,
/// conv1 (k = len + 1), leaky ReLU, left-pad 2, conv2 (k = 3), residual.
/// </summary>
public sealed class PreLookaheadLayer : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    public readonly GuardedConv1d conv1;
    public readonly GuardedConv1d conv2;
#pragma warning restore IDE1006

    public PreLookaheadLayer(int channels, int preLookaheadLen) : base(nameof(PreLookaheadLayer))
    {
        PreLookaheadLen = preLookaheadLen;
        conv1 = new GuardedConv1d(channels, channels, preLookaheadLen + 1);
        conv2 = new GuardedConv1d(channels, channels, 3);
        RegisterComponents();
    }

    /// <summary>How many future frames each output frame sees.</summary>
    public int PreLookaheadLen { get; }

    /// <summary>inputs [B, T, C] → [B, T, C].</summary>
    public override Tensor forward(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        var x = inputs.transpose(1, 2);
        x = F.pad(x, new long[] { 0, PreLookaheadLen });
        x = F.leaky_relu(conv1.call(x), 0.01);
        x = F.pad(x, new long[] { 2, 0 });
        x = conv2.call(x).transpose(1, 2);
        return (x + inputs).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The flow's token encoder (stepvocoder/cosyvoice2/transformer/upsample_encoder_v2.py): linear embed with rel-pos
/// encoding → look-ahead conv → <c>num_blocks</c> conformer blocks → ×<c>up_stride</c> upsampling → <c>up_embed</c> →
/// <c>num_up_blocks</c> conformer blocks → <c>after_norm</c>.
/// <para>
/// Padding: upstream masks padded frames only inside attention, so in a padded batch the look-ahead convolution of
/// the last valid frames reads the padded frames' embed output (not zeros, as when the sample runs alone), and a
/// padded sample's result depends on the batch. <c>maskPadding</c> in <see cref="forward"/> zeroes the
/// padded frames before that convolution, which makes every valid frame equal to the sample's solo result (the
/// upsampling conv is causal and attention is key-masked, so nothing else leaks). <c>false</c> is upstream-exact.
/// </para>
/// </summary>
public sealed class UpsampleConformerEncoderV2 : nn.Module
{
#pragma warning disable IDE1006
    public readonly LinearNoSubsampling embed;
    public readonly PreLookaheadLayer pre_lookahead_layer;
    public readonly ModuleList<ConformerEncoderLayer> encoders;
    public readonly Upsample1D up_layer;
    public readonly LinearNoSubsampling up_embed;
    public readonly ModuleList<ConformerEncoderLayer> up_encoders;
    public readonly LayerNorm after_norm;
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
        new PositionwiseFeedForward(c.OutputSize, c.LinearUnits, c.DropoutRate, x => F.silu(x)), c.DropoutRate, c.NormalizeBefore);

    /// <summary>
    /// xs [B, T, input_size], xs_lens [B] → (xs [B, T·stride, output_size], masks [B, 1, T·stride] bool, lengths).
    /// </summary>
    public (Tensor Xs, Tensor Masks, Tensor Lengths) forward(Tensor xs, Tensor xsLens, bool maskPadding = true)
    {
        const string api = "UpsampleConformerEncoderV2.forward";
        TensorChecks.Check(xs, api, "xs", TensorKind.Float, "batch", "frames", Config.InputSize);
        TensorChecks.Check(xsLens, api, "xs_lens", TensorKind.Integer, new Dim("batch", xs.shape[0]));
        TensorChecks.OnDevice(xs, api, "xs", after_norm.weight!.device);
        TensorChecks.OnDevice(xsLens, api, "xs_lens", after_norm.weight!.device);
        using var scope = NewDisposeScope();
        var masks = FlowMasks.Valid(xsLens, xs.size(1)).unsqueeze(1);       // (B, 1, T)
        var (x, posEmb) = embed.forward(xs);
        if (maskPadding) x = x * masks.transpose(1, 2).to_type(x.dtype);
        x = pre_lookahead_layer.forward(x);
        foreach (var layer in encoders) x = layer.forward(x, masks, posEmb);

        var (up, lens) = up_layer.forward(x.transpose(1, 2), xsLens);
        x = up.transpose(1, 2);
        masks = FlowMasks.Valid(lens, x.size(1)).unsqueeze(1);
        (x, posEmb) = up_embed.forward(x);
        foreach (var layer in up_encoders) x = layer.forward(x, masks, posEmb);
        if (normalizeBefore) x = after_norm.forward(x);
        return (x.MoveToOuterDisposeScope(), masks.MoveToOuterDisposeScope(), lens.MoveToOuterDisposeScope());
    }
}
