using System.Text.Json.Nodes;
using StepAudio.Checkpoints;
using StepAudio.Llm;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Tests.Llm;

public class Step1CheckpointTests
{
    [Theory]
    [InlineData(1, ScalarType.Float32)]
    [InlineData(3, ScalarType.BFloat16)]
    public void LoadsHfFolderSingleAndSharded(int shards, ScalarType diskType)
    {
        using var scope = NewDisposeScope();
        var dir = TestPaths.NewTempDir();
        using var source = TinyStep1.Create();
        TinyStep1.WriteHfFolder(source, dir, diskType, shards);
        var (model, report) = Step1Checkpoint.Load(dir, ScalarType.Float32);
        using var _ = model;
        Assert.True(report.IsExact, report.ToString());
        Assert.Equal(source.state_dict().Count, report.Loaded);
        Assert.DoesNotContain(model.parameters(), p => p.device_type == DeviceType.META);
        var ids = TinyStep1.Ids();
        using var noGrad = no_grad();
        // bf16 on disk: the loaded weights are the bf16-rounded ones, so compare with a rounded source.
        foreach (var (k, v) in source.state_dict()) v.copy_(v.to_type(diskType).to_type(ScalarType.Float32));
        Assert.True(source.forward(ids).allclose(model.forward(ids), 1e-5, 1e-5));
    }

    [Fact]
    public void LoadsIntoBf16()
    {
        using var scope = NewDisposeScope();
        var dir = TestPaths.NewTempDir();
        using var source = TinyStep1.Create();
        TinyStep1.WriteHfFolder(source, dir, ScalarType.Float32, 2);
        var (model, _) = Step1Checkpoint.Load(dir, ScalarType.BFloat16);
        using var m = model;
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        using var noGrad = no_grad();
        var logits = model.forward(TinyStep1.Ids());
        Assert.Equal(ScalarType.BFloat16, logits.dtype);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Fact]
    public void StrictLoadNamesMissingUnexpectedAndMismatchedKeys()
    {
        using var scope = NewDisposeScope();
        var dir = TestPaths.NewTempDir();
        using var source = TinyStep1.Create();
        var sd = source.state_dict().Where(kv => kv.Key != "model.norm.weight")
            .Select(kv => kv.Key == "lm_head.weight" ? KeyValuePair.Create(kv.Key, zeros(3, 3)) : kv)
            .Append(KeyValuePair.Create("model.extra.weight", zeros(2)));
        File.WriteAllText(Path.Combine(dir, "config.json"), source.Config.ToJson());
        SafetensorsFile.Save(Path.Combine(dir, "model.safetensors"), sd);

        var e = Assert.Throws<InputException>(() => Step1Checkpoint.Load(dir));
        Assert.Contains("missing (1): model.norm.weight", e.Message);
        Assert.Contains("unexpected (1): model.extra.weight", e.Message);
        Assert.Contains("lm_head.weight: model [96, 24], checkpoint [3, 3]", e.Message);

        var (model, report) = Step1Checkpoint.Load(dir, strict: false);
        using var _ = model;
        Assert.Equal(new[] { "model.norm.weight" }, report.Missing);
        Assert.Equal(new[] { "model.extra.weight" }, report.Unexpected);
        Assert.Single(report.Mismatched);
        Assert.Equal(1f, model.model.norm.weight.mean().item<float>(), 5);
    }

    [Fact]
    public void MissingShardIsAClearError()
    {
        using var scope = NewDisposeScope();
        var dir = TestPaths.NewTempDir();
        using var source = TinyStep1.Create();
        TinyStep1.WriteHfFolder(source, dir, ScalarType.Float32, 2);
        File.Delete(Path.Combine(dir, "model-00002-of-00002.safetensors"));
        var e = Assert.Throws<InputException>(() => Step1Checkpoint.Load(dir));
        Assert.Contains("model-00002-of-00002.safetensors", e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void WrongConfigIsAClearError()
    {
        var dir = TestPaths.NewTempDir();
        var cfg = JsonNode.Parse(TinyStep1.Config.ToJson())!.AsObject();
        cfg["num_attention_groups"] = 4;
        File.WriteAllText(Path.Combine(dir, "config.json"), cfg.ToJsonString());
        var e = Assert.Throws<InputException>(() => Step1Config.FromJsonFile(Path.Combine(dir, "config.json")));
        Assert.Contains("num_attention_groups", e.Message);
        cfg.Remove("hidden_size");
        File.WriteAllText(Path.Combine(dir, "config.json"), cfg.ToJsonString());
        e = Assert.Throws<InputException>(() => Step1Config.FromJsonFile(Path.Combine(dir, "config.json")));
        Assert.Contains("hidden_size: is missing", e.Message);
    }

    [Fact]
    public void TokenIdOutOfRangeIsAClearError()
    {
        using var scope = NewDisposeScope();
        using var model = TinyStep1.Create();
        var ids = tensor(new long[] { 1, 4, TinyStep1.Config.VocabSize }).unsqueeze(0);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.forward(ids));
        Assert.Contains($"token id {TinyStep1.Config.VocabSize} is outside the vocabulary", e.Message);
    }
}
