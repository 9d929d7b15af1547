using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StepAudio.Tests.Platform;

/// <summary>
/// Convolutions computed the obvious way in float64 — unfold the windows, one product per group — for checking what
/// LibTorch and <see cref="StepAudio.Nn.GuardedConvolution"/> return. No convolution kernel is involved.
/// </summary>
static class ConvReference
{
    /// <summary>conv1d of [B, C, T] with weight [C', C/G, k].</summary>
    public static Tensor Conv1d(Tensor x, Tensor w, long stride, long padding, long dilation, long groups)
    {
        using var scope = NewDisposeScope();
        x = x.to(float64); w = w.to(float64);
        long b = x.size(0), c = x.size(1), outC = w.size(0), k = w.size(2), span = (k - 1) * dilation + 1;
        var xp = F.pad(x, new[] { padding, padding });
        var win = xp.unfold(2, span, stride).slice(3, 0, span, dilation);                   // [B, C, T', k]
        long t = win.size(2);
        var wg = win.reshape(b, groups, c / groups, t, k);
        var kg = w.reshape(groups, outC / groups, c / groups, k);
        return einsum("bgctk,gock->bgot", wg, kg).reshape(b, outC, t).MoveToOuterDisposeScope();
    }

    /// <summary>conv_transpose1d of [B, C, T] with weight [C, C'/G, k]: every input frame scattered into the output.</summary>
    public static Tensor ConvTranspose1d(Tensor x, Tensor w, long stride, long padding, long dilation, long groups)
    {
        using var scope = NewDisposeScope();
        x = x.to(float64); w = w.to(float64);
        long b = x.size(0), c = x.size(1), t = x.size(2), perG = w.size(1), k = w.size(2);
        long full = (t - 1) * stride + (k - 1) * dilation + 1;
        var xg = x.reshape(b, groups, c / groups, t);
        var wg = w.reshape(groups, c / groups, perG, k);
        var z = einsum("bgct,gcok->bgokt", xg, wg).reshape(b, groups * perG, k, t);          // tap j of frame t
        var y = zeros(new[] { b, groups * perG, full }, float64);
        for (long j = 0; j < k; j++)
            y.narrow(2, j * dilation, (t - 1) * stride + 1).slice(2, 0, (t - 1) * stride + 1, stride).add_(z.select(2, j));
        return y.narrow(2, padding, full - 2 * padding).MoveToOuterDisposeScope();
    }

    /// <summary>conv2d of [B, C, H, W] with weight [C', C/G, kh, kw] (square stride, padding, dilation).</summary>
    public static Tensor Conv2d(Tensor x, Tensor w, long stride, long padding, long dilation, long groups)
    {
        using var scope = NewDisposeScope();
        x = x.to(float64); w = w.to(float64);
        long b = x.size(0), c = x.size(1), outC = w.size(0), kh = w.size(2), kw = w.size(3);
        long oh = (x.size(2) + 2 * padding - dilation * (kh - 1) - 1) / stride + 1;
        long ow = (x.size(3) + 2 * padding - dilation * (kw - 1) - 1) / stride + 1;
        var xp = F.pad(x, new[] { padding, padding, padding, padding });
        var rows = xp.unfold(2, (kh - 1) * dilation + 1, stride).slice(4, 0, (kh - 1) * dilation + 1, dilation);
        var win = rows.unfold(3, (kw - 1) * dilation + 1, stride).slice(5, 0, (kw - 1) * dilation + 1, dilation);
        var wg = win.reshape(b, groups, c / groups, oh, ow, kh, kw);                           // [B,G,C/G,OH,OW,kh,kw]
        var kg = w.reshape(groups, outC / groups, c / groups, kh, kw);
        return einsum("bgchwij,gocij->bgohw", wg, kg).reshape(b, outC, oh, ow).MoveToOuterDisposeScope();
    }
}
