using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// DiT self-attention (decoder_dit.py <c>Attention</c> with qkv_bias and qk_norm): to_q/to_k/to_v, per-head
/// LayerNorm on q and k (affine, eps 1e-5), scaled dot-product attention over a key-padding mask, proj.
/// </summary>
public sealed class DitAttention : nn.Module
{
#pragma warning disable IDE1006
    readonly Linear to_q;
    readonly Linear to_k;
    readonly Linear to_v;
    readonly LayerNorm q_norm;
    readonly LayerNorm k_norm;
    readonly Linear proj;
#pragma warning restore IDE1006
    readonly int numHeads, headDim;

    public DitAttention(int dim, int numHeads, int headDim) : base(nameof(DitAttention))
    {
        this.numHeads = numHeads;
        this.headDim = headDim;
        int inner = numHeads * headDim;
        to_q = nn.Linear(dim, inner);
        to_k = nn.Linear(dim, inner);
        to_v = nn.Linear(dim, inner);
        q_norm = nn.LayerNorm(headDim, 1e-5);
        k_norm = nn.LayerNorm(headDim, 1e-5);
        proj = nn.Linear(inner, dim);
        RegisterComponents();
    }

    /// <summary>x [B, T, C], keyMask [B, 1, 1, T] bool (true = attend) → [B, T, C].</summary>
    public Tensor Forward(Tensor x, Tensor keyMask)
    {
        using var scope = NewDisposeScope();
        long b = x.size(0), t = x.size(1);
        var q = q_norm.forward(ToHeads(to_q.forward(x), b, t));
        var k = k_norm.forward(ToHeads(to_k.forward(x), b, t));
        var v = ToHeads(to_v.forward(x), b, t);
        // libtorch's fused kernel; default scale 1/sqrt(head_dim) as upstream's F.scaled_dot_product_attention.
        var o = nn.functional.scaled_dot_product_attention(q, k, v, keyMask);
        return proj.forward(o.transpose(1, 2).reshape(b, t, numHeads * headDim)).MoveToOuterDisposeScope();
    }

    Tensor ToHeads(Tensor ts, long b, long t) => ts.reshape(b, t, numHeads, headDim).transpose(1, 2);
}
