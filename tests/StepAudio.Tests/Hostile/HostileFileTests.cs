using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using StepAudio.Audio;
using StepAudio.Checkpoints;
using StepAudio.Config;
using StepAudio.Data;
using StepAudio.Llm;
using static TorchSharp.torch;

namespace StepAudio.Tests.Hostile;

/// <summary>
/// Corrupt, truncated, oversized and malicious files sent to every reader: each is an <see cref="InputException"/>
/// naming the file, quickly, with nothing run and nothing built from sizes the file merely claims.
/// </summary>
public class HostileFileTests : IDisposable
{
    readonly string dir = TestPaths.NewTempDir("stepaudio-hostile");

    public void Dispose() => Directory.Delete(dir, true);

    string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    string Write(string name, string text) => Write(name, Encoding.UTF8.GetBytes(text));

    /// <summary>The reader fails with an InputException naming <paramref name="file"/> on one line, within 10 s.</summary>
    static InputException Refused(string file, Action read)
    {
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<InputException>(read);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed} to refuse");
        Assert.Contains(file, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    public static TheoryData<string> Damage => new() { "empty", "truncated", "garbage" };

    byte[] Damaged(byte[] good, string how) => how switch
    {
        "empty" => Array.Empty<byte>(),
        "truncated" => good[..(good.Length / 2)],
        _ => Enumerable.Range(0, 4096).Select(i => (byte)(i * 131 % 251)).ToArray(),
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public void DamagedSafetensorsWavAndPt(string how)
    {
        var st = Path.Combine(dir, "good.safetensors");
        SafetensorsFile.Save(st, new[] { KeyValuePair.Create("a", ones(64, 64)) });
        var bad = Write($"{how}.safetensors", Damaged(File.ReadAllBytes(st), how));
        Refused(bad, () => SafetensorsFile.Open(bad).Dispose());
        Refused(bad, () => StateDictFile.Load(bad));

        var wav = Write($"{how}.wav", Damaged(WavBytes(), how));
        if (how == "truncated")
            Assert.True(WavFile.Read(wav).Length < 1600);   // by design: a cut-off recording keeps the frames it has
        else
            Refused(wav, () => WavFile.Read(wav));

        var pt = Write($"{how}.pt", Damaged(PtZip(Encoding.ASCII.GetBytes("\u0080\u0002}q\u0000.")), how));
        Refused(pt, () => StateDictFile.Load(pt));
        using var llm = new Step1ForCausalLM(new Step1Config { HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, NumAttentionGroups = 1, IntermediateSize = 24, VocabSize = 32 });
        Step1Lora.Inject(llm, new LoraConfig());
        Refused(pt, () => Step1Export.LoadPt(llm, pt));
    }

    [Theory]
    [MemberData(nameof(Damage))]
    public void DamagedTextAndModelFolderFiles(string how)
    {
        var yaml = Write($"{how}.yaml", Damaged(File.ReadAllBytes(Path.Combine(TestPaths.RepoRoot, "configs", "tiny.yaml")), how));
        if (how != "truncated") Refused(yaml, () => ConfigLoader.Load(yaml));   // half a YAML file may still be valid YAML

        var manifest = Write($"{how}.jsonl", Damaged("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\"}\n"u8.ToArray(), how));
        Refused(manifest, () => ManifestReader.Load(manifest));

        var tokenizer = Write($"{how}/tokenizer.model", Damaged(File.ReadAllBytes(Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "tokenizer"), "*.model")[0]), how));
        if (how != "truncated") Refused(tokenizer, () => Step1TextTokenizer.Load(tokenizer));

        var folder = Path.Combine(dir, how + "-model");
        var configJson = Write($"{how}-model/config.json", Damaged(Encoding.UTF8.GetBytes(new Step1Config { HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, NumAttentionGroups = 1, IntermediateSize = 24, VocabSize = 32 }.ToJson()), how));
        Refused(configJson, () => Step1Checkpoint.Load(folder));

        var index = Write($"{how}-index/{HfCheckpointFiles.IndexName}", Damaged("{\"weight_map\": {\"w\": \"model-00001.safetensors\"}}"u8.ToArray(), how));
        Refused(index, () => HfCheckpointFiles.Open(Path.GetDirectoryName(index)!).Dispose());

        var adapterConfig = Write($"{how}-adapter/{PeftAdapter.ConfigName}", Damaged("{\"peft_type\": \"LORA\", \"r\": 8, \"lora_alpha\": 16, \"target_modules\": [\"q_proj\"]}"u8.ToArray(), how));
        Refused(adapterConfig, () => PeftAdapter.ReadConfig(Path.GetDirectoryName(adapterConfig)!));
    }

    [Fact]
    public void AKeyStoredWithAndWithoutTheStrippedPrefixIsRefused()
    {
        var path = Path.Combine(dir, "twice.safetensors");
        SafetensorsFile.Save(path, new[] { KeyValuePair.Create("generator.weight", ones(2)), KeyValuePair.Create("weight", ones(2)) });
        using var module = TorchSharp.torch.nn.Linear(2, 1, hasBias: false);
        var e = Refused(path, () => StateDictLoader.Load(module, path, new LoadOptions { StripPrefix = "generator." }));
        Assert.Contains("stored too", e.Message);
    }

    [Fact]
    public void WeightNormPairsThatDoNotFitNameTheFile()
    {
        var path = Path.Combine(dir, "wn.safetensors");
        SafetensorsFile.Save(path, new[]
        {
            KeyValuePair.Create("conv.weight_g", ones(5, 1, 1)), KeyValuePair.Create("conv.weight_v", ones(3, 2, 3)),
            KeyValuePair.Create("conv.bias", ones(3)),
        });
        using var module = TorchSharp.torch.nn.Sequential(("conv", TorchSharp.torch.nn.Conv1d(2, 3, 3)));
        var e = Refused(path, () => StateDictLoader.Load(module, path, new LoadOptions { FoldWeightNorm = true }));
        Assert.Contains("conv", e.Message);
        Assert.Contains("does not fit", e.Message);
    }

    [Fact]
    public void SafetensorsHeadersThatLie()
    {
        string Header(string json)
        {
            var h = Encoding.UTF8.GetBytes(json);
            var bytes = BitConverter.GetBytes((long)h.Length).Concat(h).Concat(new byte[64]).ToArray();
            return Write($"h{json.GetHashCode():x}.safetensors", bytes);
        }
        foreach (var (json, says) in new[]
                 {
                     ("{\"a\":{\"dtype\":\"F32\",\"shape\":[-4,4],\"data_offsets\":[0,64]}}", "negative"),
                     ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,64]}}", "not valid"),
                     ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[0,64]},\"a\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[0,64]}}", "twice"),
                     ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[0,64]},\"b\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[32,64]}}", "share bytes"),
                     ("{\"a\":{\"dtype\":\"F32\",\"shape\":\"big\",\"data_offsets\":[0,64]}}", "not valid"),
                     ("[1,2,3]", "not a JSON object"),
                 })
        {
            var path = Header(json);
            Assert.Contains(says, Refused(path, () => SafetensorsFile.Open(path).Dispose()).Message);
        }
    }

    [Fact]
    public void PicklePayloadsNeverRun()
    {
        var marker = Path.Combine(dir, "pwned");
        // GLOBAL os.system, the command as a tuple, REDUCE: what torch.load(weights_only=False) would execute.
        var pickle = Encoding.ASCII.GetBytes($"\u0080\u0002cos\nsystem\nq\u0000X{(char)(6 + marker.Length)}\u0000\u0000\u0000touch {marker}\u0085q\u0001Rq\u0002.");
        var pt = Write("evil.pt", PtZip(pickle));
        Refused(pt, () => StateDictFile.Load(pt));
        Assert.False(File.Exists(marker), "the pickle's payload ran");
    }

    [Fact]
    public void HugePickleStringIsRefused()
    {
        // BINUNICODE claiming 2 GB in a file of a few bytes.
        var pickle = new byte[] { 0x80, 0x02, (byte)'X', 0xFF, 0xFF, 0xFF, 0x7F, (byte)'a', (byte)'.' };
        var pt = Write("huge.pt", PtZip(pickle));
        Refused(pt, () => StateDictFile.Load(pt));
    }

    [Fact]
    public void YamlThatWouldRecurseForever()
    {
        var selfAlias = Write("self.yaml", "model: &m\n  llm:\n    x: *m\n");
        Assert.Contains("contains it", Refused(selfAlias, () => ConfigLoader.Load(selfAlias)).Message);

        var deep = Write("deep.yaml", string.Concat(Enumerable.Repeat("[", 100_000)) + string.Concat(Enumerable.Repeat("]", 100_000)));
        Assert.Contains("nested deeper", Refused(deep, () => ConfigLoader.Load(deep)).Message);

        var bomb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 40; i++) bomb.Append($"a{i}: &a{i} [*a{(i == 1 ? "" : (i - 1).ToString())}, *a{(i == 1 ? "" : (i - 1).ToString())}, *a{(i == 1 ? "" : (i - 1).ToString())}, *a{(i == 1 ? "" : (i - 1).ToString())}, *a{(i == 1 ? "" : (i - 1).ToString())}, *a{(i == 1 ? "" : (i - 1).ToString())}, *a{(i == 1 ? "" : (i - 1).ToString())}, *a{(i == 1 ? "" : (i - 1).ToString())}]\n");
        var laughs = Write("laughs.yaml", bomb.ToString());
        Assert.Contains("aliases", Refused(laughs, () => ConfigLoader.Load(laughs)).Message);
    }

    [Fact]
    public void EmptyAndNonUtf8Configs()
    {
        var empty = Write("empty.yaml", "");
        Assert.Contains("empty", Refused(empty, () => ConfigLoader.Load(empty)).Message);
        var latin1 = Write("latin1.yaml", new byte[] { (byte)'s', (byte)'e', (byte)'e', (byte)'d', (byte)':', (byte)' ', 0xE9, (byte)'\n' });
        Assert.Contains("UTF-8", Refused(latin1, () => ConfigLoader.Load(latin1)).Message);
    }

    [Fact]
    public void AbsurdSizesInModelConfigsAreCheckedFirst()
    {
        var model = Path.Combine(dir, "llm");
        Directory.CreateDirectory(model);
        var config = new Step1Config { HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, NumAttentionGroups = 1, IntermediateSize = 24, VocabSize = 32 };
        using (var m = new Step1ForCausalLM(config)) Step1Export.SaveMerged(m, model);
        var configJson = Path.Combine(model, "config.json");
        var text = File.ReadAllText(configJson);
        File.WriteAllText(configJson, text.Replace("\"num_hidden_layers\": 1", "\"num_hidden_layers\": 100000000"));
        Assert.Contains("num_hidden_layers", Refused(configJson, () => Step1Checkpoint.Load(model)).Message);
        File.WriteAllText(configJson, text.Replace("\"num_hidden_layers\": 1", "\"num_hidden_layers\": 3"));
        Assert.Contains("the weights hold 1 layers", Refused(configJson, () => Step1Checkpoint.Load(model)).Message);
        File.WriteAllText(configJson, text.Replace("\"hidden_size\": 16", "\"hidden_size\": \"wide\""));
        Refused(configJson, () => Step1Checkpoint.Load(model));
        File.WriteAllText(configJson, text);

        var adapter = Path.Combine(dir, "adapter");
        using var loaded = Step1Checkpoint.Load(model).Model;
        Step1Lora.Inject(loaded, new LoraConfig());
        PeftAdapter.Save(loaded, adapter, new LoraConfig());
        var adapterConfig = Path.Combine(adapter, PeftAdapter.ConfigName);
        var a = File.ReadAllText(adapterConfig);
        File.WriteAllText(adapterConfig, System.Text.RegularExpressions.Regex.Replace(a, "\"r\": *8", "\"r\": 100000000"));
        using var fresh = Step1Checkpoint.Load(model).Model;
        Assert.Contains("r: must be in 1..4096", Refused(adapterConfig, () => PeftAdapter.Load(fresh, adapter)).Message);
        File.WriteAllText(adapterConfig, System.Text.RegularExpressions.Regex.Replace(a, "\"r\": *8", "\"r\": 16"));
        Assert.Contains("rank 8", Refused(adapterConfig, () => PeftAdapter.Load(fresh, adapter)).Message);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/../../x.safetensors")]
    public void IndexShardsMustStayInTheFolder(string shard)
    {
        var model = Path.Combine(dir, "sharded");
        Directory.CreateDirectory(model);
        SafetensorsFile.Save(Path.Combine(model, "model-00001.safetensors"), new[] { KeyValuePair.Create("w", ones(2)) });
        var index = Write("sharded/" + HfCheckpointFiles.IndexName,
            $"{{\"weight_map\": {{\"w\": \"model-00001.safetensors\", \"x\": \"{shard}\"}}}}");
        Assert.Contains("not a file inside the model folder", Refused(index, () => HfCheckpointFiles.Open(model).Dispose()).Message);
    }

    [Fact]
    public void SymlinkedShardsOfAHuggingFaceCacheStillLoad()
    {
        var blobs = Path.Combine(dir, "blobs");
        var snapshot = Path.Combine(dir, "snapshots", "abc");
        Directory.CreateDirectory(blobs);
        Directory.CreateDirectory(snapshot);
        SafetensorsFile.Save(Path.Combine(blobs, "1234"), new[] { KeyValuePair.Create("w", ones(2)) });
        File.CreateSymbolicLink(Path.Combine(snapshot, "model-00001.safetensors"), "../../blobs/1234");
        File.WriteAllText(Path.Combine(snapshot, HfCheckpointFiles.IndexName), "{\"weight_map\": {\"w\": \"model-00001.safetensors\"}}");
        using var files = HfCheckpointFiles.Open(snapshot);
        Assert.Equal(new[] { "w" }, files.KeyToFile.Keys);
    }

    [Fact]
    public void ManifestsWithNulPathsOrNoRecords()
    {
        var nul = Write("nul.jsonl", "{\"prompt_audio_path\": \"a\\u0000.wav\", \"target_audio_path\": \"b.wav\"}\n");
        Assert.Contains("NUL", Refused(nul, () => ManifestReader.Load(nul)).Message);
        var empty = Write("empty.jsonl", "\n\n");
        Assert.Contains("no records", Refused(empty, () => ManifestReader.Load(empty)).Message);
    }

    static byte[] WavBytes()
    {
        var clip = new AudioClip(new[] { Enumerable.Range(0, 1600).Select(i => MathF.Sin(i * 0.1f) * 0.5f).ToArray() }, 16000);
        var path = Path.GetTempFileName();
        try
        {
            WavFile.Write(path, clip);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A torch zip checkpoint holding <paramref name="pickle"/> as its data.pkl.</summary>
    static byte[] PtZip(byte[] pickle)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open()) s.Write(pickle);
            using (var s = zip.CreateEntry("archive/version", CompressionLevel.NoCompression).Open()) s.Write("3\n"u8);
        }
        return ms.ToArray();
    }
}
