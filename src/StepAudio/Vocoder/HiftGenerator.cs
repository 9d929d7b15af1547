using StepAudio.Nn;
using StepAudio.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Vocoder;

/// <summary>
/// HiFT, the Step-Audio-EditX vocoder (hifigan/generator.py <c>HiFTGenerator</c>, "Neural Source Filter + ISTFTNet",
/// arXiv 2309.09493): mel → F0 (<see cref="ConvRNNF0Predictor"/>) → harmonic source (<see cref="SourceModuleHnNSF2"/>)
/// → upsampling stack fused with the source's STFT → magnitude/phase → iSTFT. Field names are upstream's, so
/// state-dict keys equal those of <c>hift.pt</c> once weight norm is merged (see <see cref="Load"/>).
/// Always frozen: parameters never require grad and inference runs without autograd.
/// </summary>
public sealed class HiftGenerator : nn.Module<Tensor, Tensor>, IVocoder
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's
    readonly SourceModuleHnNSF2 m_source;
    readonly GuardedConv1d conv_pre;
    readonly ModuleList<GuardedConvTranspose1d> ups = new();
    readonly ModuleList<GuardedConv1d> source_downs = new();
    readonly ModuleList<ResBlock> source_resblocks = new();
    readonly ModuleList<ResBlock> resblocks = new();
    readonly GuardedConv1d conv_post;
    readonly ConvRNNF0Predictor f0_predictor;
#pragma warning restore IDE1006

    readonly Generator generator;

    /// <summary>A HiFT of the given sizes with PyTorch's default initialisation; <paramref name="seed"/> seeds its draws.</summary>
    public HiftGenerator(HiftConfig config, ulong seed = 0) : base(nameof(HiftGenerator))
    {
        config.Validate();
        Config = config;
        int c = config.BaseChannels, nFft = config.IstftNFft;
        m_source = new SourceModuleHnNSF2(config.SamplingRate, config.SamplesPerFrame, config.NbHarmonics,
            config.NsfAlpha, config.NsfSigma, config.NsfVoicedThreshold);
        conv_pre = new GuardedConv1d(config.InChannels, c, 7, stride: 1, padding: 3);
        for (int i = 0; i < config.UpsampleRates.Count; i++)
        {
            int u = config.UpsampleRates[i], k = config.UpsampleKernelSizes[i];
            ups.Add(new GuardedConvTranspose1d(c >> i, c >> (i + 1), k, stride: u, padding: (k - u) / 2));
        }

        // Source downsampling: the source STFT (hop 4) is brought to each stage's rate, coarsest first.
        var downRates = new List<int> { 1 };
        downRates.AddRange(config.UpsampleRates.Reverse().Take(config.UpsampleRates.Count - 1));
        var cumRates = new List<int>();
        foreach (var r in downRates) cumRates.Add((cumRates.Count == 0 ? 1 : cumRates[^1]) * r);
        cumRates.Reverse();
        for (int i = 0; i < cumRates.Count; i++)
        {
            int u = cumRates[i], ch = c >> (i + 1);
            source_downs.Add(u == 1
                ? new GuardedConv1d(nFft + 2, ch, 1, stride: 1)
                : new GuardedConv1d(nFft + 2, ch, u * 2, stride: u, padding: u / 2));
            source_resblocks.Add(new ResBlock(ch, config.SourceResblockKernelSizes[i], config.SourceResblockDilationSizes[i]));
        }

        for (int i = 0; i < config.UpsampleRates.Count; i++)
            for (int j = 0; j < config.ResblockKernelSizes.Count; j++)
                resblocks.Add(new ResBlock(c >> (i + 1), config.ResblockKernelSizes[j], config.ResblockDilationSizes[j]));

        conv_post = new GuardedConv1d(c >> config.UpsampleRates.Count, nFft + 2, 7, stride: 1, padding: 3);
        f0_predictor = new ConvRNNF0Predictor(config.F0NumClass, config.F0InChannels, config.F0CondChannels);
        RegisterComponents();
        Freeze();
        eval();
        generator = new Generator(seed);
    }

    /// <summary>The sizes this generator was built with.</summary>
    public HiftConfig Config { get; }

    /// <inheritdoc />
    public string Name => VocoderFactory.Hift;
    /// <inheritdoc />
    public int SampleRate => Config.SamplingRate;
    /// <inheritdoc />
    public int SamplesPerFrame => Config.SamplesPerFrame;

    /// <summary>
    /// Builds a HiFT of <paramref name="config"/>'s sizes (default: the shipped model) and loads
    /// <paramref name="path"/>: a PyTorch zip <c>.pt</c> such as the real <c>hift.pt</c>, or safetensors, with weight
    /// norm stored as <c>parametrizations.weight.original0/1</c> or legacy <c>weight_g/weight_v</c> (merged here).
    /// A leading <c>generator.</c> is stripped from keys, as upstream's loader does. With <paramref name="strict"/>
    /// any missing, unexpected or mis-shaped tensor fails with an <see cref="InputException"/> listing them all.
    /// </summary>
    public static HiftGenerator Load(string path, HiftConfig? config = null, bool strict = true, ulong seed = 0)
    {
        var model = new HiftGenerator(config ?? HiftConfig.StepAudioEditX, seed);
        try
        {
            var raw = StateDictFile.Load(path);
            try
            {
                model.LoadStateDict(raw, path, strict);
            }
            finally
            {
                foreach (var t in raw.Values) t.Dispose();
            }
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads upstream-named tensors (either weight-norm layout) into this generator and returns what did not match.
    /// With <paramref name="strict"/> a mismatch throws before anything is copied.
    /// </summary>
    public CheckpointLoadReport LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, string source, bool strict = true)
    {
        var stripped = stateDict.ToDictionary(
            kv => kv.Key.StartsWith("generator.", StringComparison.Ordinal) ? kv.Key["generator.".Length..] : kv.Key,
            kv => kv.Value);
        var merged = WeightNorm.Merge(stripped);
        try
        {
            return StateDictLoader.Load(this, merged, source, strict);
        }
        finally
        {
            foreach (var (k, t) in merged)
                if (!stripped.TryGetValue(k, out var s) || !ReferenceEquals(s, t)) t.Dispose();
        }
    }

    /// <summary>Mel <c>[B, in, T]</c> → waveform <c>[B, T·480]</c>, drawing the source's noise from the seeded generator.</summary>
    public override Tensor forward(Tensor mel)
    {
        var output = Inference(mel);
        output.Source.Dispose();
        output.F0.Dispose();
        return output.Wav;
    }

    /// <inheritdoc />
    public Tensor Synthesize(Tensor mel) => forward(mel);

    /// <summary>
    /// Upstream <c>HiFTGenerator.forward</c>: mel <c>[B, in, T]</c> → wav, source and F0. <paramref name="draws"/>
    /// injects the random draws (see <see cref="HiftDraws"/>); without it they come from the seeded generator.
    /// </summary>
    public HiftOutput Inference(Tensor mel, HiftDraws? draws = null)
    {
        if (mel.dim() != 3 || mel.shape[1] != Config.InChannels)
            throw new ArgumentException(
                $"HiFT input must be a log-mel [batch, {Config.InChannels}, frames]; got [{string.Join(", ", mel.shape)}]");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var f0 = PredictF0(mel);
        var source = Source(f0, draws);
        var wav = Decode(mel, source);
        return new HiftOutput(wav.MoveToOuterDisposeScope(), source.MoveToOuterDisposeScope(), f0.MoveToOuterDisposeScope());
    }

    /// <summary>The F0 predictor alone: mel <c>[B, in, T]</c> → F0 <c>[B, T]</c> in Hz.</summary>
    public Tensor PredictF0(Tensor mel)
    {
        using var noGrad = no_grad();
        return f0_predictor.call(mel);
    }

    /// <summary>
    /// The NSF excitation: F0 <c>[B, T]</c> → nearest-upsampled to <c>[B, T·480, 1]</c> → source <c>[B, 1, T·480]</c>.
    /// </summary>
    public Tensor Source(Tensor f0, HiftDraws? draws = null)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long batch = f0.shape[0], samples = f0.shape[1] * SamplesPerFrame;
        int dim = m_source.Dim;
        var up = nn.functional.interpolate(f0.unsqueeze(1), scale_factor: [(double)SamplesPerFrame],
            mode: InterpolationMode.Nearest).transpose(1, 2);                       // [B, L, 1]
        Tensor randIni, noise;
        if (draws != null)
        {
            Expect(draws.RandIni, "RandIni", batch, dim);
            Expect(draws.SineNoise, "SineNoise", batch, samples, dim);
            randIni = draws.RandIni.to(f0.dtype, f0.device);
            noise = draws.SineNoise.to(f0.dtype, f0.device);
        }
        else
        {
            randIni = rand([batch, dim], generator: generator).to(f0.dtype, f0.device);
            noise = randn([batch, samples, dim], generator: generator).to(f0.dtype, f0.device);
        }
        return m_source.forward(up, randIni, noise).transpose(1, 2).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Upstream <c>HiFTGenerator.decode</c>: mel <c>[B, in, T]</c> and source <c>[B, 1, T·480]</c> → waveform
    /// <c>[B, T·480]</c> clamped to ±audio_limit.
    /// </summary>
    public Tensor Decode(Tensor mel, Tensor source)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        int nFft = Config.IstftNFft, hop = Config.IstftHopLen, bins = nFft / 2 + 1;
        var window = StftWindow(mel.device);
        var spec = view_as_real(stft(source.squeeze(1), nFft, hop, nFft, window, center: true,
            pad_mode: PaddingModes.Reflect, normalized: false, onesided: true, return_complex: true)); // [B, F, TT, 2]
        var sStft = cat([spec.select(-1, 0), spec.select(-1, 1)], 1).to_type(mel.dtype);             // [B, n_fft+2, TT]

        var x = conv_pre.call(mel);
        int kernels = Config.ResblockKernelSizes.Count;
        for (int i = 0; i < ups.Count; i++)
        {
            x = ups[i].call(nn.functional.leaky_relu(x, Config.LreluSlope));
            if (i == ups.Count - 1)
                x = nn.functional.pad(x, [1, 0], PaddingModes.Reflect);              // ReflectionPad1d((1, 0))
            x = x + source_resblocks[i].call(source_downs[i].call(sStft));           // fusion
            Tensor? xs = null;
            for (int j = 0; j < kernels; j++)
            {
                var r = resblocks[i * kernels + j].call(x);
                xs = xs is null ? r : xs + r;
            }
            x = xs! / kernels;
        }
        x = conv_post.call(nn.functional.leaky_relu(x));                               // default slope 0.01
        var magnitude = x[.., ..bins, ..].exp().clamp_max(1e2);
        var phase = x[.., bins.., ..].sin();                                         // "actually, sin is redundancy"
        var complexSpec = complex(magnitude * phase.cos(), magnitude * phase.sin());
        var wav = istft(complexSpec, nFft, hop, nFft, window, center: true);
        return wav.clamp(-Config.AudioLimit, Config.AudioLimit).MoveToOuterDisposeScope();
    }

    /// <summary>The periodic Hann window of the source STFT and the output iSTFT (scipy <c>get_window("hann", n_fft, fftbins=True)</c>).</summary>
    public Tensor StftWindow(Device? device = null) =>
        hann_window(Config.IstftNFft, periodic: true, dtype: ScalarType.Float32, device: device);

    void Freeze()
    {
        foreach (var (_, p) in named_parameters()) p.requires_grad = false;
    }

    static void Expect(Tensor t, string name, params long[] shape)
    {
        if (!t.shape.SequenceEqual(shape))
            throw new ArgumentException(
                $"HiftDraws.{name} has shape [{string.Join(", ", t.shape)}], expected [{string.Join(", ", shape)}]");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) generator.Dispose();
        base.Dispose(disposing);
    }
}
