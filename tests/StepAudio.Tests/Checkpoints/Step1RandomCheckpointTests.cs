using System.Text.Json;
using StepAudio.Checkpoints;
using StepAudio.Llm;
using StepAudio.Tests.Llm;
using static TorchSharp.torch;

namespace StepAudio.Tests.Checkpoints;

public class Step1RandomCheckpointTests
{
    static string TinyTokenizer => Path.Combine(TestPaths.RepoRoot, "configs", "tiny-tokenizer.model");

    [Fact]
    public void Write_ShardedBf16Folder_LoadsBackWithTheLogitsOfTheInMemoryModel()
    {
        var folder = TestPaths.NewTempDir("stepaudio-random-ckpt");
        var config = TinyStep1.Config;
        // ~16 kB shards: the tiny model (~40 kB in bf16) needs several, as the real one needs two.
        var shards = Step1RandomCheckpoint.Write(folder, config, seed: 9, shardBytes: 16_000);
        Assert.True(shards.Count >= 2, $"{shards.Count} shards");
        Assert.Equal(config, Step1Config.FromJsonFile(Path.Combine(folder, "config.json")));
        using (var files = HfCheckpointFiles.Open(folder))
        {
            Assert.All(files.KeyToFile, kv => Assert.Equal("BF16", kv.Value.Entries[kv.Key].DType));
            Assert.Equal(shards.Count, files.KeyToFile.Values.Distinct().Count());
        }
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, HfCheckpointFiles.IndexName)));
        long total = index.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64();

        var (loaded, report) = Step1Checkpoint.Load(folder, ScalarType.BFloat16);
        using var _ = loaded;
        Assert.True(report.IsExact, report.ToString());
        using var expected = new Step1ForCausalLM(config, dtype: ScalarType.BFloat16);
        using (no_grad())
            foreach (var (name, p) in expected.named_parameters())
            {
                using var v = Step1RandomCheckpoint.InitialValue(name, p.shape, 9);
                p.copy_(v);
            }
        Assert.Equal(expected.parameters().Sum(p => p.numel() * 2), total);
        using var ids = TinyStep1.Ids();
        expected.eval();
        loaded.eval();
        using var a = expected.forward(ids);
        using var b = loaded.forward(ids);
        Assert.Equal(ScalarType.BFloat16, b.dtype);
        Assert.True(a.eq(b).all().item<bool>(), "logits differ");
        Assert.True(a.abs().max().to_type(ScalarType.Float32).item<float>() > 0, "the random model's logits are all zero");
    }

    [Fact]
    public void IsWritten_OnlyForTheSameConfigWithEveryShard()
    {
        var folder = TestPaths.NewTempDir("stepaudio-random-ckpt");
        var config = TinyStep1.Config;
        Assert.False(Step1RandomCheckpoint.IsWritten(folder, config));
        var shards = Step1RandomCheckpoint.Write(folder, config, seed: 9, shardBytes: 16_000);
        Assert.True(Step1RandomCheckpoint.IsWritten(folder, config));
        Assert.False(Step1RandomCheckpoint.IsWritten(folder, config with { NumHiddenLayers = config.NumHiddenLayers + 1 }));
        File.Delete(Path.Combine(folder, shards[^1]));
        Assert.False(Step1RandomCheckpoint.IsWritten(folder, config));
    }

    [Fact]
    public void InitialValue_DependsOnKeyAndSeed_NotOnOrder()
    {
        using var a = Step1RandomCheckpoint.InitialValue("model.layers.0.mlp.up_proj.weight", [8, 4], 1, ScalarType.Float32);
        using var b = Step1RandomCheckpoint.InitialValue("model.layers.1.mlp.up_proj.weight", [8, 4], 1, ScalarType.Float32);
        using var a2 = Step1RandomCheckpoint.InitialValue("model.layers.0.mlp.up_proj.weight", [8, 4], 1, ScalarType.Float32);
        using var c = Step1RandomCheckpoint.InitialValue("model.layers.0.mlp.up_proj.weight", [8, 4], 2, ScalarType.Float32);
        using var norm = Step1RandomCheckpoint.InitialValue("model.norm.weight", [4], 1, ScalarType.Float32);
        Assert.True(a.eq(a2).all().item<bool>());
        Assert.False(a.eq(b).all().item<bool>());
        Assert.False(a.eq(c).all().item<bool>());
        Assert.InRange(a.std().item<float>(), 0.01, 0.03);
        Assert.True(norm.eq(1).all().item<bool>());
    }

    [Fact]
    public void SaveStreaming_RejectsATensorThatDiffersFromItsHeaderEntry()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "x.safetensors");
        var e = Assert.Throws<InvalidOperationException>(() => SafetensorsFile.SaveStreaming(path,
            [("w", ScalarType.BFloat16, new long[] { 2, 3 })], _ => zeros(3, 2, ScalarType.BFloat16)));
        Assert.Contains("w: produced", e.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void WriteTokenizer_RealLayout_KeepsTextIdsAndPutsAudioAt65536()
    {
        var folder = TestPaths.NewTempDir("stepaudio-random-tok");
        var real = Step1Config.StepAudioEditX;
        var path = Step1RandomCheckpoint.WriteTokenizer(folder, real, TinyTokenizer);
        var tiny = Step1TextTokenizer.Load(TinyTokenizer);
        var wide = Step1TextTokenizer.Load(path);
        Assert.Equal(real.VocabSize, wide.VocabSize);
        Assert.Equal(real.AudioTokenOffset, wide.AudioTokenOffset);
        Assert.Equal(real.VocabSize - 1, wide.PieceId($"<audio_{real.VocabSize - real.AudioTokenOffset - 1}>"));
        const string text = "Please read this aloud, with feeling.\n";
        Assert.Equal(tiny.Encode(text), wide.Encode(text));
        Assert.Equal(text, wide.Decode(wide.Encode(text)));
        const string audio = "<audio_7><audio_5119>";
        Assert.Equal(tiny.Encode(audio).Select(id => id >= 1024 ? id - 1024 + real.AudioTokenOffset : id), wide.Encode(audio));
        Assert.Contains(real.AudioTokenOffset + 5119, wide.Encode(audio));
        Assert.Equal(4, wide.PieceId("<|BOT|>"));
    }

    [Fact]
    public void WriteTokenizer_TooManyTextPieces_IsAnInputError()
    {
        var small = TinyStep1.Config;   // audio at 32: fewer text ids than the tiny tokenizer's 1024
        var e = Assert.Throws<InputException>(() => Step1RandomCheckpoint.WriteTokenizer(TestPaths.NewTempDir(), small, TinyTokenizer));
        Assert.Contains("text pieces", e.Message);
    }
}
