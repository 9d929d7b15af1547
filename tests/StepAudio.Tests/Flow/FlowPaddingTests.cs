using StepAudio.Flow;
using static TorchSharp.torch;

namespace StepAudio.Tests.Flow;

/// <summary>
/// Padding must not change a sample's training result: with the padding mask (the default) a padded sample's
/// prediction equals its solo run; the upstream-exact path leaks padding into the last valid frames.
/// </summary>
public class FlowPaddingTests
{
    [Fact]
    public void PaddedSampleEqualsItsSoloRun()
    {
        using var scope = NewDisposeScope();
        using var model = TinyFlow.Model();
        model.FreezeEncoder();
        model.train();
        var g = new Generator(11);
        long[] tokLen = { 9, 6 };
        var token = TinyFlow.Tokens(g, tokLen, 9);
        var feat = randn(new long[] { 2, 18, 80 }, generator: g);
        var batch = new FlowBatch(token, tensor(tokLen), feat, tensor(new long[] { 18, 12 }), randn(new long[] { 2, 192 }, generator: g));
        var z = randn(new long[] { 2, 80, 18 }, generator: g);
        var draws = new CfmDraws(tensor(new[] { 0.3f, 0.7f }), z, tensor(new[] { true, true }), tensor(new long[] { 4, 3 }));

        var solo = new FlowBatch(token.narrow(0, 1, 1).narrow(1, 0, 6).clone(), tensor(new long[] { 6 }),
            feat.narrow(0, 1, 1).narrow(1, 0, 12).clone(), tensor(new long[] { 12 }), batch.Embedding.narrow(0, 1, 1));
        var soloDraws = new CfmDraws(draws.T.narrow(0, 1, 1), z.narrow(0, 1, 1).narrow(2, 0, 12).clone(),
            draws.CfgKeep.narrow(0, 1, 1), draws.PromptLen.narrow(0, 1, 1));

        var soloPred = model.ComputeLoss(solo, soloDraws).Pred;
        var masked = model.ComputeLoss(batch, draws).Pred.narrow(0, 1, 1).narrow(2, 0, 12);
        var upstream = model.ComputeLoss(batch, draws, maskPadding: false).Pred.narrow(0, 1, 1).narrow(2, 0, 12);

        double maskedDiff = (masked - soloPred).abs().max().item<float>();
        double upstreamDiff = (upstream - soloPred).abs().max().item<float>();
        Assert.True(maskedDiff < 1e-5, $"masked padded sample differs from its solo run by {maskedDiff}");
        Assert.True(upstreamDiff > 1e-3, $"upstream path was expected to leak padding (diff {upstreamDiff})");
    }

    [Fact]
    public void MaskedEncoderMatchesSoloForEveryValidFrame()
    {
        using var scope = NewDisposeScope();
        using var model = TinyFlow.Model(3);
        model.eval();
        using var noGrad = no_grad();
        var g = new Generator(5);
        long[] lens = { 10, 4, 7 };
        var token = TinyFlow.Tokens(g, lens, 10);
        var (h, mask, hLen) = model.Encode(token, tensor(lens));
        Assert.Equal(new long[] { 20, 8, 14 }, hLen.data<long>().ToArray());
        Assert.Equal(hLen.data<long>().ToArray(), mask.sum(new long[] { 1, 2 }).data<long>().ToArray());
        for (int i = 0; i < lens.Length; i++)
        {
            var (hs, _, _) = model.Encode(token.narrow(0, i, 1).narrow(1, 0, lens[i]), tensor(new[] { lens[i] }));
            double diff = (h.narrow(0, i, 1).narrow(1, 0, 2 * lens[i]) - hs).abs().max().item<float>();
            Assert.True(diff < 1e-5, $"sample {i}: {diff}");
        }
    }
}
