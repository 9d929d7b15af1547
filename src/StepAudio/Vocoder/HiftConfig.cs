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

    /// <summary>The shipped Step-Audio-EditX vocoder (upstream-architecture §3A.6).</summary>
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
