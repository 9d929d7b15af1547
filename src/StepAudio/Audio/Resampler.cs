using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Audio;

/// <summary>
/// Band-limited sinc resampling with torchaudio's semantics (<c>torchaudio.transforms.Resample</c> /
/// <c>functional.resample</c> defaults: <c>sinc_interp_hann</c>, lowpass_filter_width 6, rolloff 0.99, rates reduced
/// by their gcd). Output sample j sits at time j / new_rate (no delay); the output has
/// <c>ceil(N · new / orig)</c> samples. Runs as one matrix product of the signal's strided frames with a polyphase kernel.
/// </summary>
public sealed class Resampler : IDisposable
{
    readonly Tensor? kernel;

    /// <summary>Builds the kernel for <paramref name="origRate"/> → <paramref name="newRate"/>.</summary>
    public Resampler(int origRate, int newRate, int lowpassFilterWidth = 6, double rolloff = 0.99)
    {
        if (origRate <= 0 || newRate <= 0)
            throw new ArgumentException($"sample rates must be positive; got {origRate} → {newRate}");
        if (lowpassFilterWidth <= 0) throw new ArgumentException("lowpass filter width must be positive");
        OrigRate = origRate; NewRate = newRate;
        int gcd = Gcd(origRate, newRate);
        Orig = origRate / gcd; New = newRate / gcd;
        if (origRate == newRate) return;
        var (k, width) = Kernel(Orig, New, lowpassFilterWidth, rolloff);
        Width = width;
        // Lives as long as the resampler, which callers cache (SpeechFeatureExtractor): never owned by a caller's dispose scope.
        kernel = tensor(k, new long[] { New, 1, k.Length / New }, ScalarType.Float32).DetachFromDisposeScope();
    }

    /// <summary>The input rate (Hz).</summary>
    public int OrigRate { get; }
    /// <summary>The output rate (Hz).</summary>
    public int NewRate { get; }
    /// <summary>Input rate divided by gcd(orig, new): the conv1d stride.</summary>
    public int Orig { get; }
    /// <summary>Output rate divided by gcd(orig, new): the number of polyphase filters.</summary>
    public int New { get; }
    /// <summary>Zero padding (input samples) on each side, torchaudio's <c>width</c>.</summary>
    public int Width { get; }
    /// <summary>The polyphase kernel <c>[new, 1, 2·width + orig]</c>, or null when the rates are equal.</summary>
    public Tensor? KernelTensor => kernel;

    /// <summary>Output length for <paramref name="inputLength"/> samples: <c>ceil(N · new / orig)</c>.</summary>
    public long OutputLength(long inputLength) => (inputLength * New + Orig - 1) / Orig;

    /// <summary>Resamples the last dimension of a float tensor <c>[..., N] → [..., ceil(N·new/orig)]</c>.</summary>
    public Tensor Apply(Tensor wav)
    {
        if (!wav.is_floating_point())
            throw new ArgumentException($"resampling needs a floating-point waveform; got {wav.dtype}");
        if (kernel is null) return wav.clone();
        using var scope = NewDisposeScope();
        var shape = wav.shape;
        long n = shape[^1];
        var x = wav.reshape(-1, n);
        long b = x.shape[0];
        var padded = nn.functional.pad(x, new long[] { Width, Width + Orig });
        // torchaudio runs conv1d(padded, kernel, stride=orig); the same sums as frames @ kernelᵀ, which on CPU is
        // one GEMM instead of libtorch's slow strided-convolution path (~10x faster here).
        var k = kernel.to(wav.device).to_type(wav.dtype).reshape(New, -1);               // [new, taps]
        var frames = padded.unfold(1, k.shape[1], Orig);                                   // [B, L, taps]
        var flat = frames.reshape(-1, k.shape[1]).mm(k.t()).reshape(b, -1);                // [B, L·new]
        var outShape = shape.ToArray();
        outShape[^1] = OutputLength(n);
        return flat.narrow(1, 0, outShape[^1]).reshape(outShape).MoveToOuterDisposeScope();
    }

    /// <summary>Resamples one channel of samples.</summary>
    public float[] Apply(float[] samples)
    {
        if (kernel is null) return (float[])samples.Clone();
        using var scope = NewDisposeScope();
        var x = SampleTensor.FromMono(samples);
        using var y = Apply(x).contiguous();
        var result = GC.AllocateUninitializedArray<float>((int)y.numel());
        MemoryMarshal.Cast<byte, float>(y.bytes).CopyTo(result);   // data<T>().ToArray() is ~10x slower
        return result;
    }

    /// <summary>One-shot resampling of mono samples.</summary>
    public static float[] Resample(float[] samples, int origRate, int newRate)
    {
        if (origRate == newRate) return (float[])samples.Clone();
        using var r = new Resampler(origRate, newRate);
        return r.Apply(samples);
    }

    /// <summary>
    /// torchaudio <c>_get_sinc_resample_kernel</c> (Hann window), computed in double and rounded to float32 as
    /// <c>transforms.Resample</c> does: filter i of output phase j samples <c>sinc</c> at
    /// <c>t = (idx / orig − j / new) · base</c>, clamped to ±width, times <c>cos²(πt / 2w)</c> and <c>base / orig</c>.
    /// </summary>
    static (float[] Kernel, int Width) Kernel(int orig, int @new, int lowpassWidth, double rolloff)
    {
        double baseFreq = Math.Min(orig, @new) * rolloff;
        int width = (int)Math.Ceiling(lowpassWidth * orig / baseFreq);
        int taps = 2 * width + orig;
        double scale = baseFreq / orig;
        var k = new float[@new * taps];
        for (int j = 0; j < @new; j++)
            for (int i = 0; i < taps; i++)
            {
                double t = (-(double)j / @new + (double)(i - width) / orig) * baseFreq;
                t = Math.Clamp(t, -lowpassWidth, lowpassWidth);
                double c = Math.Cos(t * Math.PI / lowpassWidth / 2);
                double window = c * c;
                double tp = t * Math.PI;
                double sinc = tp == 0 ? 1.0 : Math.Sin(tp) / tp;
                k[j * taps + i] = (float)(sinc * window * scale);
            }
        return (k, width);
    }

    static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    /// <inheritdoc />
    public void Dispose() => kernel?.Dispose();
}
