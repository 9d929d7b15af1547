using StepAudio.Checkpoints;
using StepAudio.Flow;
using static TorchSharp.torch;

namespace StepAudio.Tests.Flow;

public class FlowCheckpointTests
{
    [Fact]
    public void TinyPresetLoadsTheFixtureFlowPtExactly()
    {
        using var model = TinyFlow.Model();
        var report = FlowCheckpoint.Load(model, TinyFlow.FlowPt);
        Assert.True(report.IsExact, report.ToString());
        Assert.Equal(model.state_dict().Count, report.Loaded);
        using var expected = StateDictFile.Load(TinyFlow.FlowPt)["decoder.estimator.in_proj.weight"];
        Assert.True(model.state_dict()["decoder.estimator.in_proj.weight"].eq(expected).all().item<bool>());
    }

    [Fact]
    public void StrictLoadReportsMissingKeysAndChangesNothing()
    {
        using var model = TinyFlow.Model(config: FlowConfig.Tiny with { Estimator = FlowConfig.Tiny.Estimator with { Depth = 3 } });
        using var before = model.state_dict()["encoder_proj.weight"].clone();
        var e = Assert.Throws<InputException>(() => FlowCheckpoint.Load(model, TinyFlow.FlowPt));
        Assert.Contains("flow.pt", e.Message);
        Assert.Contains("decoder.estimator.blocks.2.attn.to_q.weight", e.Message);
        Assert.True(model.state_dict()["encoder_proj.weight"].eq(before).all().item<bool>());

        var report = FlowCheckpoint.Load(model, TinyFlow.FlowPt, strict: false);
        Assert.NotEmpty(report.Missing);
        Assert.All(report.Missing, k => Assert.StartsWith("decoder.estimator.blocks.2.", k));
        Assert.Empty(report.Unexpected);
        Assert.Empty(report.Mismatched);
    }

    [Fact]
    public void ReportsUnexpectedKeysAndMismatched()
    {
        var config = FlowConfig.Tiny with
        {
            Encoder = FlowConfig.Tiny.Encoder with { NumUpBlocks = 0 },
            Estimator = FlowConfig.Tiny.Estimator with { HiddenSize = 32, HeadDim = 16 },
        };
        using var model = TinyFlow.Model(config: config);
        var report = FlowCheckpoint.Load(model, TinyFlow.FlowPt, strict: false);
        Assert.Contains("encoder.up_encoders.0.self_attn.pos_bias_u", report.Unexpected);
        Assert.Contains(report.Mismatched, m => m.Key == "decoder.estimator.in_proj.weight"
                                                     && m.Expected.SequenceEqual(new long[] { 32, 320 })
                                                     && m.Found.SequenceEqual(new long[] { 64, 320 }));
        Assert.Contains("mismatched", report.ToString());
    }

    [Fact]
    public void SafetensorsRoundTripKeepsEveryTensor()
    {
        var dir = TestPaths.NewTempDir();
        try
        {
            using var a = TinyFlow.Model(1);
            var path = Path.Combine(dir, "flow.safetensors");
            SafetensorsFile.Save(path, a.state_dict());
            using var b = TinyFlow.Model(2);
            var report = FlowCheckpoint.Load(b, path);
            Assert.True(report.IsExact, report.ToString());
            var sa = a.state_dict();
            foreach (var (k, v) in b.state_dict()) Assert.True(v.eq(sa[k]).all().item<bool>(), k);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void StepAudioEditXPresetHasTheRealCheckpointLayout()
    {
        // Architecture notes §3A.8: the real flow.pt holds 605 tensors, about 307 MB, i.e. ~154 M parameters in
        // 2-byte storage (FlowCheckpoint converts them to the parameters' dtype).
        using var model = new CausalMaskedDiffWithXvec(FlowConfig.StepAudioEditX);
        var sd = model.state_dict();
        Assert.Equal(605, sd.Count);
        Assert.Equal(new long[] { 5121, 256 }, sd["input_embedding.embedding.weight"].shape);
        Assert.Equal(new long[] { 8, 64 }, sd["encoder.up_encoders.3.self_attn.pos_bias_v"].shape);
        Assert.Equal(new long[] { 4608, 512 }, sd["decoder.estimator.blocks.15.adaLN_modulation.1.weight"].shape);
        long parameters = sd.Values.Sum(t => t.numel());
        Assert.InRange(parameters * 2, 290_000_000, 320_000_000);
    }

    [Fact]
    public void MissingFileIsAnInputError()
    {
        using var model = TinyFlow.Model();
        var e = Assert.Throws<InputException>(() => FlowCheckpoint.Load(model, "/nonexistent/flow.pt"));
        Assert.Contains("/nonexistent/flow.pt", e.Message);
    }
}
