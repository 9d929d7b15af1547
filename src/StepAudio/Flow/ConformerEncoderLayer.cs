using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StepAudio.Flow;

/// <summary>
/// One conformer block as UpsampleConformerEncoderV2 builds it (CosyVoice transformer/encoder_layer.py
/// <c>ConformerEncoderLayer</c> with no macaron feed-forward and no convolution module): pre-norm self-attention and
/// pre-norm feed-forward, each with a residual. The norms use eps 1e-12 as in the Step-Audio-EditX code (the parity
/// fixture's description), not CosyVoice's later 1e-5.
/// </summary>
public sealed class ConformerEncoderLayer : nn.Module
{
#pragma warning disable IDE1006
    readonly RelPositionMultiHeadedAttention self_attn;
    readonly PositionwiseFeedForward feed_forward;
    readonly LayerNorm norm_ff;
    readonly LayerNorm norm_mha;
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
    public Tensor Forward(Tensor x, Tensor mask, Tensor posEmb)
    {
        using var scope = NewDisposeScope();
        var residual = x;
        if (normalizeBefore) x = norm_mha.forward(x);
        x = residual + F.dropout(self_attn.Forward(x, mask, posEmb), dropoutRate, training);
        if (!normalizeBefore) x = norm_mha.forward(x);

        residual = x;
        if (normalizeBefore) x = norm_ff.forward(x);
        x = residual + F.dropout(feed_forward.forward(x), dropoutRate, training);
        if (!normalizeBefore) x = norm_ff.forward(x);
        return x.MoveToOuterDisposeScope();
    }
}
