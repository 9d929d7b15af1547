using StepAudio.Flow;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Tests.Flow;

public class FlowTrainingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FreezingLeavesOnlyTheEstimatorTrainable(bool trainSpeaker)
    {
        using var model = TinyFlow.Model();
        var trainable = model.FreezeEncoder(trainSpeaker);
        var names = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.All(names, n => Assert.True(n.StartsWith("decoder.estimator.") || (trainSpeaker && n.StartsWith("spk_embed_affine_layer.")), n));
        Assert.Contains("decoder.estimator.in_proj.weight", names);
        Assert.Equal(trainSpeaker, names.Contains("spk_embed_affine_layer.weight"));
        Assert.Equal(names.Count, trainable.Count);

        var summary = model.Summarize();
        Assert.Equal(model.parameters().Sum(p => p.numel()), summary.Total);
        Assert.Equal(trainable.Sum(p => p.numel()), summary.Trainable);
        var est = summary.Groups.Single(g => g.Name == "decoder.estimator");
        Assert.Equal(est.Parameters, est.Trainable);
        Assert.Equal(0, summary.Groups.Single(g => g.Name == "encoder").Trainable);
        Assert.Contains("decoder.estimator", summary.ToString());
    }

    [Fact]
    public void AdamWStepsTrainTheDecoderAndLeaveTheEncoder()
    {
        using var scope = NewDisposeScope();
        using var model = TinyFlow.Model();
        var trainable = model.FreezeEncoder(trainSpeakerProjection: false);
        model.train();
        var g = new Generator(2);
        long[] tokLen = { 8, 5 };
        var batch = new FlowBatch(TinyFlow.Tokens(g, tokLen, 8), tensor(tokLen), randn(new long[] { 2, 16, 80 }, generator: g),
            tensor(new long[] { 16, 10 }), randn(new long[] { 2, 192 }, generator: g));
        using var draws = CfmDraws.Sample(new Generator(4), new long[] { 16, 10 }, 16, model.Config.Cfm);
        var encBefore = model.state_dict()["encoder.encoders.0.self_attn.linear_q.weight"].clone();
        var estBefore = model.state_dict()["decoder.estimator.in_proj.weight"].clone();
        var opt = optim.AdamW(trainable, 1e-3);
        var losses = new List<float>();
        for (int step = 0; step < 6; step++)
        {
            using var stepScope = NewDisposeScope();
            opt.zero_grad();
            var loss = model.ComputeLoss(batch, draws).Loss;
            loss.backward();
            opt.step();
            losses.Add(loss.item<float>());
        }
        Assert.All(losses, l => Assert.True(float.IsFinite(l)));
        Assert.True(losses[^1] < losses[0], $"loss did not fall on a fixed batch: {string.Join(", ", losses)}");
        Assert.True(model.state_dict()["encoder.encoders.0.self_attn.linear_q.weight"].eq(encBefore).all().item<bool>());
        Assert.False(model.state_dict()["decoder.estimator.in_proj.weight"].eq(estBefore).all().item<bool>());
    }

    [Fact]
    public void DrawsArePerSampleAndFollowCosyVoiceRule()
    {
        using var scope = NewDisposeScope();
        var cfg = new CfmConfig();
        using var a = CfmDraws.Sample(new Generator(3), new long[] { 10, 40 }, 40, cfg);
        using var b = CfmDraws.Sample(new Generator(3), new long[] { 10, 40 }, 40, cfg);
        Assert.True(a.Z.eq(b.Z).all().item<bool>() && a.T.eq(b.T).all().item<bool>());
        Assert.Equal(0f, a.Z[0].narrow(1, 10, 30).abs().max().item<float>());
        Assert.True(a.Z[0].narrow(1, 0, 10).abs().max().item<float>() > 0);

        var lengths = Enumerable.Repeat(100L, 3000).ToArray();
        using var many = CfmDraws.Sample(new Generator(9), lengths, 100, cfg, channels: 1);
        var prompt = many.PromptLen.data<long>().ToArray();
        Assert.All(prompt, p => Assert.InRange(p, 0, 30));
        double noPrompt = prompt.Count(p => p == 0) / (double)prompt.Length;    // 0.5 + 0.5/31
        Assert.InRange(noPrompt, 0.47, 0.57);
        Assert.Contains(30L, prompt);
        double dropped = many.CfgKeep.logical_not().sum().item<long>() / (double)lengths.Length;
        Assert.InRange(dropped, 0.17, 0.23);
        var t = many.T.data<float>().ToArray();
        Assert.All(t, x => Assert.InRange(x, 0f, 1f));
        Assert.InRange(t.Average(), 0.47, 0.53);
    }

    [Fact]
    public void ReshapeTurnsFiveMixedIdsIntoThreeDualFrames()
    {
        var dual = DualCodebookTokens.Reshape(new[] { 10, 11, 1024 + 5, 1024 + 6, 1024 + 7, 20 });
        // group 1: [10, 11, b0, b1, b2]; group 2: [20] + upstream tail [0, 1024, 1024, 1024]
        Assert.Equal(6, dual.GetLength(0));
        Assert.Equal(new long[] { 10, 11, 1024, 20, 0, 1024 }, Enumerable.Range(0, 6).Select(i => dual[i, 0]));
        Assert.Equal(new long[] { 1030, 1031, 1032, 1025, 1025, 1025 }, Enumerable.Range(0, 6).Select(i => dual[i, 1]));
        var seven = DualCodebookTokens.Reshape(new[] { 1, 2, 1027, 1028, 1029, 6, 7 });
        Assert.Equal(new long[] { 6, 7, 1024 }, Enumerable.Range(3, 3).Select(i => seven[i, 0]));
        Assert.Equal(new long[] { 1025, 1025, 1025 }, Enumerable.Range(3, 3).Select(i => seven[i, 1]));
        using var t = DualCodebookTokens.ReshapeTensor(new[] { 1, 2, 1027, 1028, 1029 });
        Assert.Equal(new long[] { 1, 3, 2 }, t.shape);
    }
}
