using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers.Paraformer;

/// <summary>The keys and values one SANM layer keeps from earlier chunks, per head: <c>[B, h, frames, d_k]</c>.</summary>
public sealed class SanmKvCache : IDisposable
{
    internal SanmKvCache(Tensor k, Tensor v)
    {
        K = k.DetachFromDisposeScope();
        V = v.DetachFromDisposeScope();
    }

    /// <summary>Cached keys.</summary>
    public Tensor K { get; }
    /// <summary>Cached values.</summary>
    public Tensor V { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        K.Dispose();
        V.Dispose();
    }
}

/// <summary>
/// FunASR <c>MultiHeadedAttentionSANM</c> (funasr_detach/models/sanm/attention.py) in its streaming form
/// <c>forward_chunk</c>: scaled dot-product attention from one fused q/k/v projection, plus an FSMN memory (a depthwise
/// convolution over the values, zero-padded, added to them). Field names are upstream's, so state-dict keys match.
/// </summary>
public sealed class MultiHeadedAttentionSanm : nn.Module
{
#pragma warning disable IDE1006
    public readonly Linear linear_out;
    public readonly Linear linear_q_k_v;
    public readonly Conv1d fsmn_block;
#pragma warning restore IDE1006
    readonly int h, dK, kernel, leftPad;

    /// <summary><paramref name="nHead"/> heads over <paramref name="nFeat"/> features projected from <paramref name="inFeat"/>; FSMN kernel and extra left shift as upstream.</summary>
    public MultiHeadedAttentionSanm(int nHead, int inFeat, int nFeat, int kernelSize, int sanmShift)
        : base(nameof(MultiHeadedAttentionSanm))
    {
        if (nFeat % nHead != 0) throw new ArgumentException($"n_feat {nFeat} is not a multiple of n_head {nHead}");
        h = nHead;
        dK = nFeat / nHead;
        kernel = kernelSize;
        leftPad = (kernelSize - 1) / 2 + sanmShift;
        if (kernelSize - 1 - leftPad < 0) throw new ArgumentException($"sanm_shfit {sanmShift} is too large for kernel {kernelSize}");
        linear_out = nn.Linear(nFeat, nFeat);
        linear_q_k_v = nn.Linear(inFeat, 3L * nFeat);
        fsmn_block = nn.Conv1d(nFeat, nFeat, kernelSize, stride: 1, padding: 0L, groups: nFeat, bias: false);
        RegisterComponents();
    }

    /// <summary>
    /// One window <c>x [B, T, in]</c> → <c>[B, T, n_feat]</c>. With <paramref name="lookBack"/> &gt; 0 (or −1, unlimited)
    /// the keys and values attend over <c>cache ++ this window</c> without a mask, and the returned cache is the old one
    /// plus this window minus its last <c>chunkSize[2]</c> frames, cut to the last <c>lookBack · chunkSize[1]</c>
    /// frames. The FSMN sees this window only. <paramref name="cache"/> is not disposed here.
    /// </summary>
    public (Tensor Output, SanmKvCache? Cache) ForwardChunk(Tensor x, SanmKvCache? cache, int[] chunkSize, int lookBack)
    {
        using var scope = NewDisposeScope();
        long b = x.size(0), t = x.size(1), nFeat = (long)h * dK;
        var qkv = linear_q_k_v.forward(x);
        var q = qkv.narrow(-1, 0, nFeat).reshape(b, t, h, dK).transpose(1, 2);
        var k = qkv.narrow(-1, nFeat, nFeat).reshape(b, t, h, dK).transpose(1, 2);
        var vFlat = qkv.narrow(-1, 2 * nFeat, nFeat);
        var v = vFlat.reshape(b, t, h, dK).transpose(1, 2);
        SanmKvCache? next = cache;
        if (lookBack > 0 || lookBack == -1)
        {
            var kStride = PySlice.DropLast(k, 2, chunkSize[2]);
            var vStride = PySlice.DropLast(v, 2, chunkSize[2]);
            if (cache is not null)
            {
                k = cat([cache.K, k], 2);
                v = cat([cache.V, v], 2);
                var kKeep = cat([cache.K, kStride], 2);
                var vKeep = cat([cache.V, vStride], 2);
                if (lookBack != -1)
                {
                    kKeep = PySlice.TakeLast(kKeep, 2, (long)lookBack * chunkSize[1]);
                    vKeep = PySlice.TakeLast(vKeep, 2, (long)lookBack * chunkSize[1]);
                }
                next = new SanmKvCache(kKeep.contiguous(), vKeep.contiguous());
            }
            else next = new SanmKvCache(kStride.contiguous(), vStride.contiguous());
        }
        var fsmn = Fsmn(vFlat);
        long tk = k.size(2);
        var scores = (q * Math.Pow(dK, -0.5)).reshape(b * h, t, dK).bmm(k.reshape(b * h, tk, dK).transpose(1, 2));
        var attn = softmax(scores, -1);
        var ctx = attn.bmm(v.reshape(b * h, tk, dK)).view(b, h, t, dK).transpose(1, 2).reshape(b, t, nFeat);
        var output = linear_out.forward(ctx) + fsmn;
        output.MoveToOuterDisposeScope();
        return (output, next);
    }

    /// <summary>
    /// Depthwise conv over time, zero padding (left, right), plus the input. Done as unfold + weighted sum rather than
    /// conv1d: LibTorch 2.10's CPU conv1d has returned wrong numbers for some grouped shapes (docs/platform-notes.md).
    /// </summary>
    Tensor Fsmn(Tensor values)
    {
        using var scope = NewDisposeScope();
        var x = values.transpose(1, 2);                                                  // [B, C, T]
        var padded = nn.functional.pad(x, [leftPad, kernel - 1 - leftPad]);
        var windows = padded.unfold(2, kernel, 1);                                       // [B, C, T, k]
        var w = fsmn_block.weight!.reshape(1, -1, 1, kernel);
        return ((windows * w).sum(-1).transpose(1, 2) + values).MoveToOuterDisposeScope();
    }
}

/// <summary>Python slice semantics the streaming code relies on (<c>x[:-n]</c>, <c>x[-n:]</c>) along one dimension.</summary>
static class PySlice
{
    /// <summary><c>x[..., :-n]</c>: n = 0 gives nothing (Python's <c>:-0</c>), n ≥ length gives nothing.</summary>
    public static Tensor DropLast(Tensor x, int dim, long n)
    {
        long len = x.size(dim);
        long keep = n == 0 ? 0 : Math.Max(0, len - n);
        return x.narrow(dim, 0, keep);
    }

    /// <summary><c>x[..., -n:]</c>: n = 0 keeps everything (Python's <c>-0:</c>), n ≥ length keeps everything.</summary>
    public static Tensor TakeLast(Tensor x, int dim, long n)
    {
        long len = x.size(dim);
        long keep = n == 0 || n >= len ? len : n;
        return x.narrow(dim, len - keep, keep);
    }
}
