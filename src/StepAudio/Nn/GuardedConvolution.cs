using StepAudio.Platform;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StepAudio.Nn;

/// <summary>
/// The 1-D convolutions every StepAudio model runs (one group), right on every CPU and fast without trusting LibTorch
/// to pick a correct kernel (see <see cref="CpuConvolutionGuard"/>):
/// <list type="bullet">
/// <item>by default, as matrix products through the BLAS — one product over unfolded frames when that copy is small,
/// else one product per kernel tap — the same on every CPU, with autograd;</item>
/// <item>large float32 CPU convolutions that need no gradient (the vocoder at inference) and whose channel counts are
/// multiples of 64 through oneDNN, which is 3–14× faster there — oneDNN's wrong results come from channel counts that
/// are not a multiple of its vector block — and only after <see cref="OneDnnSelfTest"/> has checked oneDNN against
/// the product path at such shapes on this machine.</item>
/// </list>
/// Same weights and sums as <c>F.conv1d</c> / <c>F.conv_transpose1d</c>, in another order: results agree within
/// float rounding.
/// </summary>
public static class GuardedConvolution
{
    /// <summary>Below this many im2col elements one product over unfolded frames wins; above, one product per tap.</summary>
    const long Im2colLimit = 1L << 20;
    /// <summary>
    /// oneDNN is used only where the input channels (and, transposed, the output channels) are a multiple of this:
    /// its wrong results come from counts that are not a multiple of its vector block (16 floats with AVX-512; padding
    /// to 16 was not enough for transposed convolutions here), and zero-padding large inputs costs more than it saves.
    /// </summary>
    const long ChannelBlock = 64;

    /// <summary>From this many multiply-adds (B·T′·C·k·C′), oneDNN is used where allowed.</summary>
    internal static long OneDnnMinimumWork { get; set; } = 1L << 26;

    /// <summary><c>F.conv1d(x, weight, bias, stride, padding, dilation)</c>: x [B, C, T], weight [C', C, k] → [B, C', T'].</summary>
    public static Tensor Conv1d(Tensor x, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0,
        long dilation = 1)
    {
        CheckInput(x, weight, x.size(1) == weight.size(1), "conv1d", "weight [C_out, C_in, k] with C_in = x.size(1)");
        long b = x.size(0), c = x.size(1), outC = weight.size(0), k = weight.size(2);
        long span = (k - 1) * dilation + 1, tOut = (x.size(2) + 2 * padding - span) / stride + 1;
        if (tOut <= 0)
            throw new ArgumentException($"conv1d: input of {x.size(2)} frames (padding {padding}) is shorter than the kernel span {span}");
        if (!CpuConvolutionGuard.Active) return F.conv1d(x, weight, bias, stride, padding, dilation);   // opted out: LibTorch as is
        if (c % ChannelBlock == 0 && OneDnnAllowed(x, weight, b * tOut * c * k * outC))
            return OneDnn(() => F.conv1d(x, weight, bias, stride, padding, dilation));
        return ProductConv1d(x, weight, bias, stride, padding, dilation);
    }

    /// <summary><see cref="Conv1d"/> as matrix products only.</summary>
    internal static Tensor ProductConv1d(Tensor x, Tensor weight, Tensor? bias, long stride, long padding, long dilation)
    {
        long b = x.size(0), c = x.size(1), outC = weight.size(0), k = weight.size(2);
        long span = (k - 1) * dilation + 1, tOut = (x.size(2) + 2 * padding - span) / stride + 1;
        using var scope = NewDisposeScope();
        var xp = padding > 0 ? F.pad(x, new[] { padding, padding }) : x;
        Tensor y;
        if (stride > 1 || b * tOut * c * k <= Im2colLimit)
        {
            var windows = xp.unfold(2, span, stride);                                        // [B, C, T', span]
            if (dilation > 1) windows = windows.slice(3, 0, span, dilation);                 // [B, C, T', k]
            var frames = windows.permute(0, 2, 1, 3).reshape(b, tOut, c * k);               // frame t: x[:, :, t·s + j·d]
            y = F.linear(frames, weight.reshape(outC, c * k), bias).transpose(1, 2);
        }
        else
        {
            // y = Σ_j W[:, :, j] · x[:, :, j·d : j·d + T'] item by item: k products, no k-times-larger copy of x.
            // In place is autograd-safe: the accumulator is a product's output, which no backward formula reads.
            var items = new Tensor[b];
            for (long i = 0; i < b; i++)
            {
                var xi = xp[i];
                var acc = weight.select(2, 0).mm(xi.narrow(1, 0, tOut));
                for (long j = 1; j < k; j++) acc.addmm_(weight.select(2, j), xi.narrow(1, j * dilation, tOut));
                items[i] = acc;
            }
            y = stack(items);
            if (bias is not null) y = y + bias.view(1, outC, 1);
        }
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>F.conv_transpose1d(x, weight, bias, stride, padding)</c>: x [B, C, T], weight [C, C', k] →
    /// [B, C', (T − 1)·stride − 2·padding + k]. One product gives every tap's contribution; output phase p
    /// (sample t·stride + p) sums the taps j ≡ p (mod stride), each shifted by ⌊j / stride⌋ frames.
    /// </summary>
    public static Tensor ConvTranspose1d(Tensor x, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0)
    {
        CheckInput(x, weight, x.size(1) == weight.size(0), "conv_transpose1d", "weight [C_in, C_out, k] with C_in = x.size(1)");
        long b = x.size(0), c = x.size(1), t = x.size(2), outC = weight.size(1), k = weight.size(2);
        long full = (t - 1) * stride + k, frames = (full + stride - 1) / stride;
        if (full - 2 * padding <= 0)
            throw new ArgumentException($"conv_transpose1d: padding {padding} leaves no output for {t} input frames");
        if (!CpuConvolutionGuard.Active) return F.conv_transpose1d(x, weight, bias, stride, padding);
        if (c % ChannelBlock == 0 && outC % ChannelBlock == 0 && OneDnnAllowed(x, weight, b * t * c * k * outC))
            return OneDnn(() => F.conv_transpose1d(x, weight, bias, stride, padding));
        return ProductConvTranspose1d(x, weight, bias, stride, padding);
    }

    /// <summary><see cref="ConvTranspose1d"/> as matrix products only.</summary>
    internal static Tensor ProductConvTranspose1d(Tensor x, Tensor weight, Tensor? bias, long stride, long padding)
    {
        long b = x.size(0), c = x.size(1), t = x.size(2), outC = weight.size(1), k = weight.size(2);
        long full = (t - 1) * stride + k, frames = (full + stride - 1) / stride;
        using var scope = NewDisposeScope();
        var z = F.linear(x.transpose(1, 2), weight.reshape(c, outC * k).t())               // [B, T, C'·k]
            .view(b, t, outC, k).permute(0, 2, 3, 1);                                       // [B, C', k, T]
        var phases = new Tensor[stride];
        for (long p = 0; p < stride; p++)
        {
            Tensor? sum = null;
            for (long j = p; j < k; j += stride)
            {
                long shift = j / stride;
                var shifted = F.pad(z.select(2, j), new[] { shift, frames - t - shift });
                sum = sum is null ? shifted : sum + shifted;
            }
            phases[p] = sum ?? zeros(new[] { b, outC, frames }, x.dtype, x.device);
        }
        var y = stack(phases, 3).reshape(b, outC, frames * stride).narrow(2, padding, full - 2 * padding);
        if (bias is not null) y = y + bias.view(1, outC, 1);
        return y.MoveToOuterDisposeScope();
    }

    static bool OneDnnAllowed(Tensor x, Tensor weight, long work) =>
        work >= OneDnnMinimumWork && x.device_type == DeviceType.CPU && x.dtype == ScalarType.Float32
        && !(is_grad_enabled() && (x.requires_grad || weight.requires_grad)) && OneDnnSelfTest.Passed;

    /// <summary>Runs <paramref name="conv"/> with oneDNN switched on for the duration of the call.</summary>
    internal static Tensor OneDnn(Func<Tensor> conv)
    {
        using (CpuConvolutionGuard.AllowOneDnn()) return conv();
    }

    static void CheckInput(Tensor x, Tensor weight, bool channelsMatch, string op, string expected)
    {
        if (x.dim() != 3 || weight.dim() != 3 || !channelsMatch)
            throw new ArgumentException(
                $"{op}: got input [{string.Join(", ", x.shape)}] and weight [{string.Join(", ", weight.shape)}]; expected input [B, C_in, T] and {expected}");
    }
}

/// <summary>
/// <c>nn.Conv1d</c> (one group) whose forward is <see cref="GuardedConvolution.Conv1d"/>. Same parameters, names
/// (<c>weight</c>, <c>bias</c>) and initialisation as <c>nn.Conv1d</c>, so state-dict keys and seeded runs are unchanged.
/// </summary>
public sealed class GuardedConv1d : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's.
    /// <summary>[C_out, C_in, k].</summary>
    public Parameter weight;
    /// <summary>[C_out] or null.</summary>
    public Parameter? bias;
#pragma warning restore IDE1006

    public GuardedConv1d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0,
        long dilation = 1, bool hasBias = true) : base(nameof(GuardedConv1d))
    {
        using var reference = nn.Conv1d(inChannels, outChannels, kernelSize, bias: hasBias);
        weight = nn.Parameter(reference.weight!.detach().clone());
        bias = hasBias ? nn.Parameter(reference.bias!.detach().clone()) : null;
        (Stride, Padding, Dilation) = (stride, padding, dilation);
        RegisterComponents();
    }

    public long Stride { get; }
    public long Padding { get; }
    public long Dilation { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => GuardedConvolution.Conv1d(x, weight, bias, Stride, Padding, Dilation);
}

/// <summary><c>nn.ConvTranspose1d</c> (one group, no output padding) whose forward is
/// <see cref="GuardedConvolution.ConvTranspose1d"/>; parameters, names and initialisation as <c>nn.ConvTranspose1d</c>.</summary>
public sealed class GuardedConvTranspose1d : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    /// <summary>[C_in, C_out, k].</summary>
    public Parameter weight;
    /// <summary>[C_out] or null.</summary>
    public Parameter? bias;
#pragma warning restore IDE1006

    public GuardedConvTranspose1d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0,
        bool hasBias = true) : base(nameof(GuardedConvTranspose1d))
    {
        using var reference = nn.ConvTranspose1d(inChannels, outChannels, kernelSize, bias: hasBias);
        weight = nn.Parameter(reference.weight!.detach().clone());
        bias = hasBias ? nn.Parameter(reference.bias!.detach().clone()) : null;
        (Stride, Padding) = (stride, padding);
        RegisterComponents();
    }

    public long Stride { get; }
    public long Padding { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => GuardedConvolution.ConvTranspose1d(x, weight, bias, Stride, Padding);
}
