// Mirrors stepvocoder/cosyvoice2/hifigan/generator.py (ResBlock, SineGen2, SourceModuleHnNSF2, HiFTGenerator) with hifigan/activation.py Snake.
using StepAudio.Checkpoints;
using StepAudio.Nn;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Vocoder;

/// <summary>
/// Sizes of <see cref="HiftGenerator"/>, under the upstream <c>HiFTGenerator</c> argument names
/// (stepvocoder/cosyvoice2/hifigan/generator.py). <see cref="StepAudioEditX"/> is the shipped 24 kHz model.
/// </summary>
public sealed record HiftConfig
{
    /// <summary>Mel bins of the input (80).</summary>
    public int InChannels { get; init; } = 80;
    /// <summary>Channels after <c>conv_pre</c>; halved by each upsampling stage (512).</summary>
    public int BaseChannels { get; init; } = 512;
    /// <summary>Harmonics above F0 in the NSF source (8, so 9 sines).</summary>
    public int NbHarmonics { get; init; } = 8;
    /// <summary>Output sample rate in Hz (24000).</summary>
    public int SamplingRate { get; init; } = 24000;
    /// <summary>Sine amplitude of the NSF source (0.1).</summary>
    public double NsfAlpha { get; init; } = 0.1;
    /// <summary>Noise std in voiced frames (0.003).</summary>
    public double NsfSigma { get; init; } = 0.003;
    /// <summary>F0 in Hz above which a sample is voiced (10).</summary>
    public double NsfVoicedThreshold { get; init; } = 10;
    /// <summary>Transposed-convolution strides (8, 5, 3).</summary>
    public IReadOnlyList<int> UpsampleRates { get; init; } = [8, 5, 3];
    /// <summary>Transposed-convolution kernels (16, 11, 7).</summary>
    public IReadOnlyList<int> UpsampleKernelSizes { get; init; } = [16, 11, 7];
    /// <summary>iSTFT size (16).</summary>
    public int IstftNFft { get; init; } = 16;
    /// <summary>iSTFT hop (4).</summary>
    public int IstftHopLen { get; init; } = 4;
    /// <summary>Kernels of the Snake resblocks after each upsampling stage (3, 7, 11).</summary>
    public IReadOnlyList<int> ResblockKernelSizes { get; init; } = [3, 7, 11];
    /// <summary>Dilations of each resblock ([1, 3, 5] three times).</summary>
    public IReadOnlyList<IReadOnlyList<int>> ResblockDilationSizes { get; init; } = [[1, 3, 5], [1, 3, 5], [1, 3, 5]];
    /// <summary>Kernels of the source resblocks, one per upsampling stage (7, 7, 11).</summary>
    public IReadOnlyList<int> SourceResblockKernelSizes { get; init; } = [7, 7, 11];
    /// <summary>Dilations of the source resblocks.</summary>
    public IReadOnlyList<IReadOnlyList<int>> SourceResblockDilationSizes { get; init; } = [[1, 3, 5], [1, 3, 5], [1, 3, 5]];
    /// <summary>Leaky-ReLU slope before each upsampling (0.1).</summary>
    public double LreluSlope { get; init; } = 0.1;
    /// <summary>Output clamp (0.99).</summary>
    public double AudioLimit { get; init; } = 0.99;
    /// <summary><c>ConvRNNF0Predictor</c> outputs (1).</summary>
    public int F0NumClass { get; init; } = 1;
    /// <summary><c>ConvRNNF0Predictor</c> input channels (80).</summary>
    public int F0InChannels { get; init; } = 80;
    /// <summary><c>ConvRNNF0Predictor</c> hidden channels (512).</summary>
    public int F0CondChannels { get; init; } = 512;

    /// <summary>The shipped Step-Audio-EditX vocoder (CosyVoice-300M-25Hz/cosyvoice.yaml, <c>hift</c>).</summary>
    public static HiftConfig StepAudioEditX { get; } = new();

    /// <summary>Output samples per mel frame: prod(upsample_rates) × hop (480).</summary>
    public int SamplesPerFrame => UpsampleRates.Aggregate(1, (a, b) => a * b) * IstftHopLen;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first inconsistent size.</summary>
    public void Validate()
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new ArgumentException($"HiftConfig: {what}");
        }
        Require(InChannels > 0 && BaseChannels > 0 && NbHarmonics >= 0, "channel counts must be positive");
        Require(UpsampleRates.Count > 0 && UpsampleRates.Count == UpsampleKernelSizes.Count,
            "upsample_rates and upsample_kernel_sizes must be non-empty and of equal length");
        Require(SourceResblockKernelSizes.Count == UpsampleRates.Count &&
                SourceResblockDilationSizes.Count == UpsampleRates.Count,
            "one source resblock (kernel and dilations) per upsampling stage is needed");
        Require(ResblockKernelSizes.Count > 0 && ResblockKernelSizes.Count == ResblockDilationSizes.Count,
            "resblock_kernel_sizes and resblock_dilation_sizes must be non-empty and of equal length");
        Require(BaseChannels % (1 << UpsampleRates.Count) == 0,
            $"base_channels {BaseChannels} must be divisible by 2^{UpsampleRates.Count}");
        Require(IstftNFft > 0 && IstftNFft % 2 == 0 && IstftHopLen > 0, "istft n_fft must be even and hop positive");
        Require(SamplingRate > 0, "sampling_rate must be positive");
    }
}

/// <summary>
/// Snake activation <c>x + 1/(α + 1e-9) · sin²(αx)</c> with one linear-scale α per channel
/// (hifigan/activation.py <c>Snake</c>, <c>alpha_logscale=False</c>). Input and output <c>[B, C, T]</c>.
/// </summary>
public sealed class Snake : nn.Module<Tensor, Tensor>
{
    const double NoDivByZero = 1e-9;
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's
    public readonly Parameter alpha;
#pragma warning restore IDE1006

    /// <summary>One α per channel, initialised to 1 (upstream's default).</summary>
    public Snake(long channels) : base(nameof(Snake))
    {
        alpha = nn.Parameter(ones(channels));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var a = alpha.unsqueeze(0).unsqueeze(-1); // [1, C, 1]
        return (x + (a + NoDivByZero).reciprocal() * (x * a).sin().pow(2)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// HiFi-GAN/BigVGAN residual block with Snake activations (hifigan/generator.py <c>ResBlock</c>): for each dilation,
/// <c>x += conv2(snake2(conv1_dilated(snake1(x))))</c>. Lengths are preserved ("same" padding).
/// </summary>
public sealed class ResBlock : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's
    public readonly ModuleList<GuardedConv1d> convs1 = new();
    public readonly ModuleList<GuardedConv1d> convs2 = new();
    public readonly ModuleList<Snake> activations1 = new();
    public readonly ModuleList<Snake> activations2 = new();
#pragma warning restore IDE1006

    /// <summary>A block of <paramref name="channels"/> channels, one conv pair per dilation.</summary>
    public ResBlock(long channels, int kernelSize, IReadOnlyList<int> dilations) : base(nameof(ResBlock))
    {
        foreach (var d in dilations)
        {
            convs1.Add(new GuardedConv1d(channels, channels, kernelSize, stride: 1, padding: Padding(kernelSize, d), dilation: d));
            convs2.Add(new GuardedConv1d(channels, channels, kernelSize, stride: 1, padding: Padding(kernelSize, 1)));
            activations1.Add(new Snake(channels));
            activations2.Add(new Snake(channels));
        }
        RegisterComponents();
    }

    /// <summary>upstream <c>get_padding</c>: the padding that keeps the length of a dilated, stride-1 conv.</summary>
    public static int Padding(int kernelSize, int dilation) => (kernelSize * dilation - dilation) / 2;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        for (int i = 0; i < convs1.Count; i++)
            x = convs2[i].call(activations2[i].call(convs1[i].call(activations1[i].call(x)))) + x;
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The 24 kHz NSF sine generator (hifigan/generator.py <c>SineGen2</c>, <c>flag_for_pulse=False</c>): harmonics
/// <c>f0·(1..H+1)</c>, whose phase is integrated at the mel-frame rate (linear interpolation down by the
/// upsample scale, cumsum, linear interpolation back up) so that it stays smooth; unvoiced samples get noise only.
/// </summary>
public sealed class SineGen2 : nn.Module
{
    readonly int samplingRate, harmonicNum, upsampleScale;
    readonly double sineAmp, noiseStd, voicedThreshold;

    /// <summary>Upstream's <c>SineGen2(samp_rate, upsample_scale, harmonic_num, sine_amp, noise_std, voiced_threshold)</c>.</summary>
    public SineGen2(int samplingRate, int upsampleScale, int harmonicNum, double sineAmp, double noiseStd,
        double voicedThreshold) : base(nameof(SineGen2))
    {
        this.samplingRate = samplingRate; this.upsampleScale = upsampleScale; this.harmonicNum = harmonicNum;
        this.sineAmp = sineAmp; this.noiseStd = noiseStd; this.voicedThreshold = voicedThreshold;
    }

    /// <summary>Number of sines: F0 plus its harmonics.</summary>
    public int Dim => harmonicNum + 1;

    /// <summary>
    /// <c>f0 [B, L, 1]</c> (Hz, per output sample) → (sine waves <c>[B, L, H+1]</c>, uv <c>[B, L, 1]</c>).
    /// <paramref name="randIni"/> <c>[B, H+1]</c> and <paramref name="noise"/> <c>[B, L, H+1]</c> are the draws.
    /// </summary>
    public (Tensor Sines, Tensor Uv) forward(Tensor f0, Tensor randIni, Tensor noise)
    {
        using var scope = NewDisposeScope();
        var harmonics = arange(1, harmonicNum + 2, dtype: f0.dtype, device: f0.device);
        var fn = f0 * harmonics;                                        // [B, L, H+1]
        var sines = F02Sine(fn, randIni) * sineAmp;
        var uv = (f0 > voicedThreshold).to_type(f0.dtype);              // [B, L, 1]
        // noise std: sigma where voiced, sine_amp/3 where unvoiced (upstream evaluates (1-uv)*amp/3 left to right)
        var noiseAmp = uv * noiseStd + (1 - uv) * sineAmp / 3;
        var waves = sines * uv + noiseAmp * noise;
        return (waves.MoveToOuterDisposeScope(), uv.MoveToOuterDisposeScope());
    }

    Tensor F02Sine(Tensor fn, Tensor randIni)
    {
        // the integer part of f/sr is a whole turn and cannot change the phase
        var rad = (fn / samplingRate).remainder(1);
        var ini = randIni.to(rad.dtype, rad.device).clone();
        ini.select(1, 0).zero_();                                       // no phase offset for the fundamental
        rad.select(1, 0).add_(ini);                                     // added at the first sample, as upstream
        rad = nn.functional.interpolate(rad.transpose(1, 2), scale_factor: [1.0 / upsampleScale],
            mode: InterpolationMode.Linear, align_corners: false).transpose(1, 2);            // [B, T, H+1]
        var phase = rad.cumsum(1) * 2 * Math.PI;
        phase = nn.functional.interpolate(phase.transpose(1, 2) * upsampleScale, scale_factor: [(double)upsampleScale],
            mode: InterpolationMode.Linear, align_corners: false).transpose(1, 2);            // [B, L, H+1]
        return phase.sin();
    }
}

/// <summary>
/// HiFT's harmonic-plus-noise source (hifigan/generator.py <c>SourceModuleHnNSF2</c>, the 24 kHz variant of
/// <c>SourceModuleHnNSF</c>): the <see cref="SineGen2"/> harmonics merged by <c>tanh(l_linear(·))</c> into one
/// excitation. <c>f0 [B, L, 1] → source [B, L, 1]</c>.
/// </summary>
public sealed class SourceModuleHnNSF2 : nn.Module
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's
    public readonly SineGen2 l_sin_gen;
    public readonly Linear l_linear;
#pragma warning restore IDE1006

    /// <summary>Upstream's <c>SourceModuleHnNSF2(sampling_rate, upsample_scale, harmonic_num, sine_amp, add_noise_std, voiced_threshod)</c>.</summary>
    public SourceModuleHnNSF2(int samplingRate, int upsampleScale, int harmonicNum, double sineAmp, double addNoiseStd,
        double voicedThreshold) : base(nameof(SourceModuleHnNSF2))
    {
        l_sin_gen = new SineGen2(samplingRate, upsampleScale, harmonicNum, sineAmp, addNoiseStd, voicedThreshold);
        l_linear = nn.Linear(harmonicNum + 1, 1);
        RegisterComponents();
    }

    /// <summary>Number of sines the generator makes (the last dimension of the sine-noise draw).</summary>
    public int Dim => l_sin_gen.Dim;

    /// <summary>The merged excitation <c>[B, L, 1]</c> from <c>f0 [B, L, 1]</c> and the two draws.</summary>
    public Tensor forward(Tensor f0, Tensor randIni, Tensor sineNoise)
    {
        using var scope = NewDisposeScope();
        var (sines, _) = l_sin_gen.forward(f0, randIni, sineNoise);
        return l_linear.call(sines).tanh().MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The random draws HiFT's NSF source makes, in upstream call order (hifigan/generator.py <c>SineGen2</c>):
/// <see cref="RandIni"/> <c>[B, H+1]</c> ~ U(0,1), the initial phase of each harmonic (column 0 is forced to 0),
/// and <see cref="SineNoise"/> <c>[B, T·480, H+1]</c> ~ N(0,1), the additive noise. Pass stored draws to reproduce
/// an upstream run exactly; leave them out and the generator draws from its seeded generator.
/// (Upstream's third draw, the noise branch of <c>SourceModuleHnNSF2</c>, never reaches the output.)
/// </summary>
public sealed record HiftDraws(Tensor RandIni, Tensor SineNoise);

/// <summary>
/// One HiFT run: <see cref="Wav"/> <c>[B, T·480]</c> in [-0.99, 0.99], the NSF excitation <see cref="Source"/>
/// <c>[B, 1, T·480]</c> and the predicted <see cref="F0"/> <c>[B, T]</c> in Hz.
/// </summary>
public sealed record HiftOutput(Tensor Wav, Tensor Source, Tensor F0) : IDisposable
{
    /// <summary>Disposes the three tensors.</summary>
    public void Dispose()
    {
        Wav.Dispose();
        Source.Dispose();
        F0.Dispose();
    }
}

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
    public readonly SourceModuleHnNSF2 m_source;
    public readonly GuardedConv1d conv_pre;
    public readonly ModuleList<GuardedConvTranspose1d> ups = new();
    public readonly ModuleList<GuardedConv1d> source_downs = new();
    public readonly ModuleList<ResBlock> source_resblocks = new();
    public readonly ModuleList<ResBlock> resblocks = new();
    public readonly GuardedConv1d conv_post;
    public readonly ConvRNNF0Predictor f0_predictor;
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
            StateDictLoader.Load(model, path, LoadOptions(strict));
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
    public CheckpointLoadReport LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, string source, bool strict = true) =>
        StateDictLoader.Load(this, stateDict, source, LoadOptions(strict));

    /// <summary>
    /// This generator's weights under hift.pt's keys: the weights of the layers upstream wraps in <c>weight_norm</c>
    /// split into <c>parametrizations.weight.original0/1</c> (g, v), the layout the released file and torch's
    /// parametrized weight_norm use; <see cref="Load"/> reads it back.
    /// </summary>
    public Dictionary<string, Tensor> UpstreamStateDict() => WeightNorm.Split(state_dict(), IsWeightNormed);

    /// <summary>
    /// Whether upstream's generator.py wraps the layer owning <paramref name="key"/> in <c>weight_norm</c>: conv_pre,
    /// ups, every resblock conv, conv_post and the F0 predictor's condnet; not source_downs nor the linear layers.
    /// </summary>
    static bool IsWeightNormed(string key) =>
        new[] { "conv_pre.", "ups.", "resblocks.", "source_resblocks.", "conv_post.", "f0_predictor.condnet." }
            .Any(p => key.StartsWith(p, StringComparison.Ordinal));

    /// <summary>hift.pt's layout: keys maybe under <c>generator.</c> (upstream strips it), weight norm stored as (g, v).</summary>
    static LoadOptions LoadOptions(bool strict) => new() { Strict = strict, StripPrefix = "generator.", FoldWeightNorm = true };

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
        CheckMel(mel, "HiftGenerator.Inference");
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
        CheckMel(mel, "HiftGenerator.PredictF0");
        using var noGrad = no_grad();
        return f0_predictor.call(mel);
    }

    /// <summary>
    /// The NSF excitation: F0 <c>[B, T]</c> → nearest-upsampled to <c>[B, T·480, 1]</c> → source <c>[B, 1, T·480]</c>.
    /// </summary>
    public Tensor Source(Tensor f0, HiftDraws? draws = null)
    {
        TensorChecks.Check(f0, "HiftGenerator.Source", "f0", TensorKind.Float, "batch", "frames");
        TensorChecks.OnDevice(f0, "HiftGenerator.Source", "f0", conv_pre.weight.device);
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
        CheckMel(mel, "HiftGenerator.Decode");
        TensorChecks.Check(source, "HiftGenerator.Decode", "source", TensorKind.Float,
            new Dim("batch", mel.shape[0]), 1L, new Dim("samples", mel.shape[2] * SamplesPerFrame));
        TensorChecks.OnDevice(source, "HiftGenerator.Decode", "source", conv_pre.weight.device);
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

    // Log-mel [batch, in_channels, frames ≥ 1] on the weights' device.
    void CheckMel(Tensor mel, string api)
    {
        TensorChecks.Check(mel, api, "mel", TensorKind.Float, "batch", Config.InChannels, "frames");
        if (mel.shape[2] == 0) throw new TensorArgumentException($"{api}: mel has no frames ({TensorChecks.Describe(mel)})", nameof(mel));
        TensorChecks.OnDevice(mel, api, "mel", conv_pre.weight.device);
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
