using StepAudio.Flow;
using StepAudio.Vocoder;
using static TorchSharp.torch;

namespace StepAudio.Tests.Nn;

/// <summary>
/// Every model with a convolution, at small odd sizes (channel counts that are not multiples of 8 or 16, where
/// LibTorch's oneDNN convolution goes wrong for batches ≥ 2 on AVX-512 CPUs), gives each item of a batch what that
/// item gives alone.
/// </summary>
public class BatchInvarianceTests
{
    static readonly HiftConfig OddHift = new()
    {
        InChannels = 18, BaseChannels = 24, NbHarmonics = 3, SamplingRate = 4800,
        UpsampleRates = [4, 3], UpsampleKernelSizes = [8, 5], IstftNFft = 10, IstftHopLen = 2,
        ResblockKernelSizes = [3, 7], ResblockDilationSizes = [[1, 3], [1, 3]],
        SourceResblockKernelSizes = [7, 11], SourceResblockDilationSizes = [[1, 3], [1, 3]],
        F0InChannels = 18, F0CondChannels = 20,
    };

    static readonly FlowConfig OddFlow = new()
    {
        InputSize = 20, OutputSize = 18, SpkEmbedDim = 14,
        Encoder = new() { InputSize = 20, OutputSize = 20, NumBlocks = 1, NumUpBlocks = 1, AttentionHeads = 2, LinearUnits = 28 },
        Estimator = new() { InChannels = 72, OutChannels = 18, Depth = 1, NumHeads = 2, HeadDim = 10, HiddenSize = 20 },
    };

    [Fact]
    public void HiftF0AndWaveformArePerItem()
    {
        using var scope = NewDisposeScope();
        manual_seed(21);
        using var hift = new HiftGenerator(OddHift, seed: 5);
        var mel = randn(3, 18, 11) * 2;
        var source = randn(3, 1, 11 * OddHift.SamplesPerFrame) * 0.1;
        var f0 = hift.PredictF0(mel);
        var wav = hift.Decode(mel, source);
        for (int i = 0; i < 3; i++)
        {
            AssertClose(f0[i], hift.PredictF0(mel.narrow(0, i, 1))[0], $"HiFT F0, item {i}");
            AssertClose(wav[i], hift.Decode(mel.narrow(0, i, 1), source.narrow(0, i, 1))[0], $"HiFT waveform, item {i}");
        }
    }

    [Fact]
    public void FlowEncoderAndDitArePerItem()
    {
        using var scope = NewDisposeScope();
        using var model = TinyFlowOdd();
        model.eval();
        var g = new Generator(13);
        long[] lens = { 7, 7, 7 };
        var token = Tests.Flow.TinyFlow.Tokens(g, lens, 7);
        var feat = randn(new long[] { 3, 14, 18 }, generator: g);
        var batch = new FlowBatch(token, tensor(lens), feat, tensor(new long[] { 14, 14, 14 }), randn(new long[] { 3, 14 }, generator: g));
        var draws = new CfmDraws(tensor(new[] { 0.2f, 0.5f, 0.9f }), randn(new long[] { 3, 18, 14 }, generator: g),
            tensor(new[] { true, false, true }), tensor(new long[] { 3, 0, 5 }));
        using var noGrad = no_grad();
        var (h, _, _) = model.Encode(token, tensor(lens));
        var pred = model.ComputeLoss(batch, draws).Pred;
        for (int i = 0; i < 3; i++)
        {
            var (hi, _, _) = model.Encode(token.narrow(0, i, 1), tensor(new[] { lens[i] }));
            AssertClose(h[i], hi[0], $"flow encoder, item {i}");
            var solo = new FlowBatch(token.narrow(0, i, 1), tensor(new[] { lens[i] }), feat.narrow(0, i, 1),
                tensor(new long[] { 14 }), batch.Embedding.narrow(0, i, 1));
            var soloDraws = new CfmDraws(draws.T.narrow(0, i, 1), draws.Z.narrow(0, i, 1), draws.CfgKeep.narrow(0, i, 1),
                draws.PromptLen.narrow(0, i, 1));
            AssertClose(pred[i], model.ComputeLoss(solo, soloDraws).Pred[0], $"flow DiT prediction, item {i}");
        }
    }

    static CausalMaskedDiffWithXvec TinyFlowOdd()
    {
        manual_seed(17);
        return new CausalMaskedDiffWithXvec(OddFlow);
    }

    static void AssertClose(Tensor batched, Tensor alone, string what)
    {
        double scale = alone.abs().max().item<float>() + 1e-3;
        double diff = (batched - alone).abs().max().item<float>();
        Assert.True(diff <= 1e-5 * scale + 1e-6, $"{what}: batched differs from alone by {diff:G3} (scale {scale:G3})");
    }
}
