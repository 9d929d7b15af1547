using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StepAudio.Flow;

/// <summary>
/// Transformer-XL style self-attention with ESPnet's relative positions (CosyVoice transformer/attention.py
/// <c>RelPositionMultiHeadedAttention</c>): scores = ((q+u)·kᵀ + rel_shift((q+v)·pᵀ)) / √d_k over a key-padding mask.
/// </summary>
public sealed class RelPositionMultiHeadedAttention : nn.Module
{
#pragma warning disable IDE1006
    readonly Linear linear_q;
    readonly Linear linear_k;
    readonly Linear linear_v;
    readonly Linear linear_out;
    readonly Linear linear_pos;
    readonly Parameter pos_bias_u;
    readonly Parameter pos_bias_v;
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
    public Tensor Forward(Tensor x, Tensor mask, Tensor posEmb)
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
