using StepAudio.Audio;
using StepAudio.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Vocoder;

/// <summary>
/// A weight-free vocoder for the tiny default (whose HiFT would have random weights and produce noise): log-mel →
/// linear magnitude through the pseudo-inverse of the same Slaney basis (clamped ≥ 0) → fast Griffin-Lim
/// (Perraudin et al. 2013, with momentum as in torchaudio <c>functional.griffinlim</c>) on the mel's own STFT framing
/// (reflect pad (n_fft − hop)/2, center=false; see <see cref="MelSpectrogram"/>), so a mel of T frames gives
/// T · hop samples. Quality is that of phase retrieval from an 80-band mel: intelligible, not natural.
/// </summary>
public sealed class GriffinLim : IVocoder
{
    readonly MelSpectrogram mel;
    readonly Tensor inverseBasis;
    readonly Generator generator;

    /// <summary>
    /// Griffin-Lim for <paramref name="melParams"/> (default: the upstream 24 kHz mel) with
    /// <paramref name="iterations"/> projections and fast-GL <paramref name="momentum"/> (0 = plain Griffin-Lim);
    /// <paramref name="seed"/> seeds the initial random phase.
    /// </summary>
    public GriffinLim(MelParams? melParams = null, int iterations = 32, double momentum = 0.99, ulong seed = 0)
    {
        if (iterations < 0) throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "must be ≥ 0");
        if (momentum < 0 || momentum >= 1)
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "must be in [0, 1)");
        Iterations = iterations;
        Momentum = momentum;
        mel = new MelSpectrogram(melParams);
        using (var basis64 = mel.MelBasis.to_type(ScalarType.Float64))
        using (var pinv = linalg.pinv(basis64))
            inverseBasis = pinv.to_type(ScalarType.Float32);                    // [F, num_mels]
        generator = new Generator(seed);
    }

    /// <summary>Griffin-Lim iterations per call.</summary>
    public int Iterations { get; }
    /// <summary>Fast-Griffin-Lim momentum.</summary>
    public double Momentum { get; }
    /// <summary>The mel framing this inverts.</summary>
    public MelParams MelParams => mel.Params;

    /// <inheritdoc />
    public string Name => VocoderFactory.GriffinLimName;
    /// <inheritdoc />
    public int SampleRate => mel.Params.SamplingRate;
    /// <inheritdoc />
    public int SamplesPerFrame => mel.Params.HopSize;

    /// <summary>Log-mel <c>[B, num_mels, T]</c> → linear STFT magnitude <c>[B, n_fft/2+1, T]</c> (pseudo-inverse, ≥ 0).</summary>
    public Tensor Magnitude(Tensor logMel)
    {
        CheckMel(logMel);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var m = logMel.to_type(ScalarType.Float32).exp();
        var inv = inverseBasis.to(m.device).unsqueeze(0).expand(m.shape[0], -1, -1);
        return bmm(inv, m).clamp_(min: 0).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Synthesize(Tensor logMel)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var magnitude = Magnitude(logMel).unsqueeze(-1);                        // [B, F, T, 1]
        long frames = magnitude.shape[2], length = frames * mel.Params.HopSize;
        var envelope = Envelope(frames, magnitude.device);
        // Phases are kept as real unit vectors [..., 2] (re, im): complex abs/division were the slowest steps of an
        // iteration on CPU when profiled; the real view does the same arithmetic faster.
        var phase = rand([magnitude.shape[0], magnitude.shape[1], frames], generator: generator)
            .mul_(2 * Math.PI).to(magnitude.device);
        var angles = stack([phase.cos(), phase.sin()], -1);                     // [B, F, T, 2]
        Tensor? previous = null;
        for (int i = 0; i < Iterations; i++)
        {
            using var step = NewDisposeScope();
            var rebuilt = view_as_real(Stft(Synthesis(magnitude * angles, length, envelope)));
            var next = previous is null ? rebuilt : rebuilt - previous * (Momentum / (1 + Momentum));
            angles = (next / next.square().sum(-1, keepdim: true).sqrt_().add_(1e-16)).MoveToOuterDisposeScope();
            previous = rebuilt.MoveToOuterDisposeScope();
        }
        return Synthesis(magnitude * angles, length, envelope).MoveToOuterDisposeScope();
    }

    /// <summary>The complex STFT of <c>[B, N]</c> on the mel's framing: <c>[B, n_fft/2+1, N / hop]</c>.</summary>
    public Tensor Stft(Tensor wav)
    {
        using var scope = NewDisposeScope();
        var p = mel.Params;
        var padded = mel.PadReflect(wav);
        return stft(padded, p.NFft, p.HopSize, p.WinSize, mel.Window.to(wav.device), center: false,
            onesided: true, return_complex: true).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Inverse of <see cref="Stft"/> for a complex <c>[B, F, T]</c> spectrum, cut to <paramref name="length"/> samples:
    /// windowed overlap-add divided by the squared-window envelope, with the reflect padding removed.
    /// <c>torch.istft</c> cannot do this with center=false, whose envelope is 0 at the first sample.
    /// </summary>
    public Tensor Istft(Tensor spec, long length)
    {
        using var scope = NewDisposeScope();
        var envelope = Envelope(spec.shape[2], spec.device);
        return Synthesis(view_as_real(spec), length, envelope).MoveToOuterDisposeScope();
    }

    /// <summary>Overlap-add synthesis of a spectrum given as real pairs <c>[B, F, T, 2]</c>.</summary>
    Tensor Synthesis(Tensor specPairs, long length, Tensor envelope)
    {
        using var scope = NewDisposeScope();
        var p = mel.Params;
        long frames = specPairs.shape[2], full = p.NFft + p.HopSize * (frames - 1);
        var spec = view_as_complex(specPairs.transpose(1, 2).contiguous());     // [B, T, F]
        var chunks = fft.irfft(spec, p.NFft) * WindowPadded(specPairs.device);  // [B, T, n_fft]
        var signal = OverlapAdd(chunks.transpose(1, 2), full) / envelope;       // [B, full]
        long start = p.Padding, end = Math.Min(full, start + length);
        var wav = signal[.., (int)start..(int)end];
        if (wav.shape[1] < length) wav = nn.functional.pad(wav, [0, length - wav.shape[1]]);
        return wav.MoveToOuterDisposeScope();
    }

    /// <summary>The summed squared window of <paramref name="frames"/> frames, with near-zero values set to 1.</summary>
    Tensor Envelope(long frames, Device device)
    {
        using var scope = NewDisposeScope();
        var p = mel.Params;
        long full = p.NFft + p.HopSize * (frames - 1);
        var window = WindowPadded(device);
        var envelope = OverlapAdd(window.square().view(1, -1, 1).expand(1, -1, frames), full);
        return where(envelope > 1e-8, envelope, ones_like(envelope)).MoveToOuterDisposeScope();
    }

    /// <summary>The analysis window zero-padded (centred) to n_fft, as torch.stft pads a shorter window.</summary>
    Tensor WindowPadded(Device device)
    {
        var p = mel.Params;
        var w = mel.Window.to(device);
        int left = (p.NFft - p.WinSize) / 2;
        return left == 0 && p.WinSize == p.NFft ? w : nn.functional.pad(w, [left, p.NFft - p.WinSize - left]);
    }

    Tensor OverlapAdd(Tensor columns, long length) =>
        nn.functional.fold(columns, (1, length), (1, mel.Params.NFft), stride: (1, mel.Params.HopSize))
            .squeeze(2).squeeze(1);

    void CheckMel(Tensor logMel)
    {
        TensorChecks.Check(logMel, "GriffinLim.Synthesize", "mel", TensorKind.Float, "batch", mel.Params.NumMels, "frames");
        if (logMel.shape[2] == 0)
            throw new TensorArgumentException($"GriffinLim.Synthesize: mel has no frames ({TensorChecks.Describe(logMel)})", nameof(logMel));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        mel.Dispose();
        inverseBasis.Dispose();
        generator.Dispose();
    }
}
