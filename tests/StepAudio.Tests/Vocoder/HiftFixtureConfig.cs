using System.Text.Json;
using StepAudio.Tests.Parity;
using StepAudio.Vocoder;

namespace StepAudio.Tests.Vocoder;

/// <summary>Reads a <c>hift</c> fixture's <c>config</c> (upstream HiFTGenerator argument names) into a <see cref="HiftConfig"/>.</summary>
public static class HiftFixtureConfig
{
    public static HiftConfig Read(ParityFixture f)
    {
        static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
        static IReadOnlyList<int>[] Nested(JsonElement e) => e.EnumerateArray().Select(x => (IReadOnlyList<int>)Ints(x)).ToArray();
        return new HiftConfig
        {
            InChannels = f.Cfg("hift.in_channels").GetInt32(),
            BaseChannels = f.Cfg("hift.base_channels").GetInt32(),
            NbHarmonics = f.Cfg("hift.nb_harmonics").GetInt32(),
            SamplingRate = f.Cfg("hift.sampling_rate").GetInt32(),
            NsfAlpha = f.Cfg("hift.nsf_alpha").GetDouble(),
            NsfSigma = f.Cfg("hift.nsf_sigma").GetDouble(),
            NsfVoicedThreshold = f.Cfg("hift.nsf_voiced_threshold").GetDouble(),
            UpsampleRates = Ints(f.Cfg("hift.upsample_rates")),
            UpsampleKernelSizes = Ints(f.Cfg("hift.upsample_kernel_sizes")),
            IstftNFft = f.Cfg("hift.istft_params.n_fft").GetInt32(),
            IstftHopLen = f.Cfg("hift.istft_params.hop_len").GetInt32(),
            ResblockKernelSizes = Ints(f.Cfg("hift.resblock_kernel_sizes")),
            ResblockDilationSizes = Nested(f.Cfg("hift.resblock_dilation_sizes")),
            SourceResblockKernelSizes = Ints(f.Cfg("hift.source_resblock_kernel_sizes")),
            SourceResblockDilationSizes = Nested(f.Cfg("hift.source_resblock_dilation_sizes")),
            LreluSlope = f.Cfg("hift.lrelu_slope").GetDouble(),
            AudioLimit = f.Cfg("hift.audio_limit").GetDouble(),
            F0NumClass = f.Cfg("f0_predictor.num_class").GetInt32(),
            F0InChannels = f.Cfg("f0_predictor.in_channels").GetInt32(),
            F0CondChannels = f.Cfg("f0_predictor.cond_channels").GetInt32(),
        };
    }
}
