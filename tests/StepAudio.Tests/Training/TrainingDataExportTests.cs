using System.Text.Json.Nodes;
using StepAudio.Checkpoints;
using StepAudio.Config;
using StepAudio.Llm;
using StepAudio.Tokenizers;
using StepAudio.Training;
using static TorchSharp.torch;

namespace StepAudio.Tests.Training;

[Collection(StepAudio.Tests.Platform.GlobalTorchState.Name)]   // training seeds LibTorch's global generator
public class TrainingDataExportTests
{
    static string NewOut(string name) => Path.Combine(TestPaths.NewTempDir("stepaudio-export-data"), name);

    /// <summary><paramref name="config"/> saved to a file of its own (export-data reads a config file).</summary>
    internal static string SaveConfig(StepAudioConfig config)
    {
        var path = Path.Combine(TestPaths.NewTempDir("stepaudio-export-data-config"), "config.yaml");
        ConfigWriter.Save(config, path);
        return path;
    }

    internal static JsonObject Metadata(string output) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(output, TrainingDataFiles.MetadataFile)))!.AsObject();

    [Fact]
    public void AConfigsExportHoldsExactlyTheExamplesTheTrainerBuilds()
    {
        // token_max_length 58 drops train lines 5 and 7 (66 and 60 dual frames) and keeps the rest (the validator
        // knows no tokens, so this is the filter that leaves records out rather than failing the data).
        var configFile = SaveConfig(TrainingFixture.Config(c => c.Data.Filter.TokenMaxLength = 58));
        var output = NewOut("data");
        var result = TrainingDataExport.Export(new TrainingDataExportOptions { Config = configFile, Output = output });

        using var inputs = TrainingInputs.Prepare(ConfigLoader.Load(configFile), llm: true, flow: true);
        Assert.Equal(["README.md", "config.yaml", "metadata.json", "train.jsonl", "train.safetensors", "val.jsonl", "val.safetensors"],
            result.Files);
        AssertSplit(output, "train", inputs.Train, flow: true);
        AssertSplit(output, "val", inputs.Val, flow: true);
        var meta = Metadata(output);
        Assert.Equal(TrainingDataFiles.FormatName, meta["format"]!.GetValue<string>());
        Assert.Equal("both", meta["mode"]!.GetValue<string>());
        Assert.Equal(Step1Config.Tiny.AudioTokenOffset, meta["llm"]!["audio_token_offset"]!.GetValue<int>());
        Assert.Equal(CausalLmLoss.IgnoreIndex, meta["llm"]!["ignore_index"]!.GetValue<int>());
        Assert.Equal(inputs.FrontEndIdentity, meta["audio_front_end"]!.GetValue<string>());
        Assert.Equal(inputs.Train.Llm.Sum(i => i.TargetTokens), meta["splits"]!["train"]!["scored_tokens"]!.GetValue<long>());
        Assert.Equal(8, meta["splits"]!["train"]!["records"]!.GetValue<int>());
        var filtered = meta["splits"]!["train"]!["filtered"]!.AsArray().Select(f => f!.GetValue<string>()).ToList();
        Assert.Equal(2, filtered.Count);
        Assert.Contains("train.jsonl:5: target has more tokens than data.filter.token_max_length", filtered[0]);
        Assert.Contains("train.jsonl:7: target has more tokens than data.filter.token_max_length", filtered[1]);
        Assert.Equal(6, inputs.Train.Llm.Count);
        Assert.Equal(new TrainingDataSplitSummary("train", 8, 6, 6, 6, 2), result.Splits[0]);
        // Nothing but the output is left beside it: no temporary folder, no temporary file inside.
        Assert.Equal([output], Directory.GetFileSystemEntries(Path.GetDirectoryName(output)!));
        Assert.Empty(Directory.GetFiles(output, "*.tmp-*", SearchOption.AllDirectories));
    }

    [Fact]
    public void ARunsExportUsesItsModeAndItsFittedFrontEnd()
    {
        var cache = TestPaths.NewTempDir("stepaudio-export-data-cache");
        var config = TrainingFixture.Config(c => { c.TrainMode = TrainMode.Llm; c.Data.CacheDir = cache; c.Save.SaveInterval = 0; });
        var run = TrainingFixture.Run(config).Summary.RunDirectory;
        Assert.True(File.Exists(Path.Combine(run, "front_end", TinyTokenizers.TokenizerFileName)));
        using (var inputs = TrainingInputs.Prepare(config, llm: true, flow: false))
        {
            // Without the cache's fitted models, only the run's front_end/ copies can give the run's tokens.
            File.Delete(Path.Combine(cache, TinyTokenizers.TokenizerFileName));
            File.Delete(Path.Combine(cache, TinyTokenizers.SpeakerEncoderFileName));
            var output = NewOut("from-run");
            var result = TrainingDataExport.Export(new TrainingDataExportOptions { Run = run, Output = output });
            Assert.Equal(TrainMode.Llm, result.Mode);
            Assert.False(File.Exists(Path.Combine(cache, TinyTokenizers.TokenizerFileName)), "the export refitted the cache's tokenizer");
            AssertSplit(output, "train", inputs.Train, flow: false);
            AssertSplit(output, "val", inputs.Val, flow: false);
            Assert.Equal(Path.GetFullPath(run), Metadata(output)["run"]!.GetValue<string>());
            Assert.Equal("llm", Metadata(output)["mode"]!.GetValue<string>());
        }

        var runJson = Path.Combine(run, "run.json");
        var json = JsonNode.Parse(File.ReadAllText(runJson))!.AsObject();
        json["audio_front_end"] = "tiny-vq:0000000000000000+tiny-spk:0000000000000000";
        File.WriteAllText(runJson, json.ToJsonString());
        var other = NewOut("other-front-end");
        var e = Assert.Throws<InputException>(() => TrainingDataExport.Export(new TrainingDataExportOptions { Run = run, Output = other }));
        Assert.Equal(runJson, e.File);
        Assert.Equal("audio_front_end", e.Field);
        Assert.False(Directory.Exists(other));
    }

    [Fact]
    public void BadInputNamesWhatToFix()
    {
        var config = TrainingFixture.Config();
        var configFile = SaveConfig(config);
        InputException Fails(TrainingDataExportOptions o) => Assert.Throws<InputException>(() => TrainingDataExport.Export(o));

        Assert.Contains("exactly one of --run DIR and --config FILE", Fails(new() { Output = NewOut("x") }).Message);
        Assert.Contains("exactly one", Fails(new() { Run = "a", Config = configFile, Output = NewOut("x") }).Message);
        var missingRun = Path.Combine(TestPaths.NewTempDir("stepaudio-no-run"), "run-001");
        Assert.Equal("--run", Fails(new() { Run = missingRun, Output = NewOut("x") }).Field);

        var file = Path.Combine(TestPaths.NewTempDir("stepaudio-export-data-file"), "out");
        File.WriteAllText(file, "a file");
        Assert.Contains("is a file", Fails(new() { Config = configFile, Output = file }).Message);

        // --overwrite must never delete what the export reads: the manifests' folder stays.
        var manifests = Path.GetDirectoryName(config.Data.TrainPath)!;
        Assert.Contains("which this export reads", Fails(new() { Config = configFile, Output = manifests, Overwrite = true }).Message);
        Assert.True(File.Exists(config.Data.TrainPath));

        var full = NewOut("full");
        Directory.CreateDirectory(full);
        File.WriteAllText(Path.Combine(full, "keep.txt"), "mine");
        var e = Fails(new() { Config = configFile, Output = full });
        Assert.Equal("OUT", e.Field);
        Assert.Contains("--overwrite", e.Fix);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(full, "keep.txt")));

        // A manifest record whose audio is missing: the data report's error names the manifest and line.
        var dir = TestPaths.NewTempDir("stepaudio-export-data-bad");
        var bad = Path.Combine(dir, "train.jsonl");
        File.WriteAllText(bad, "{\"prompt_audio_path\": \"nope.wav\", \"target_audio_path\": \"nope.wav\", \"prompt_text\": \"a\", \"target_text\": \"b\"}\n");
        var badConfig = SaveConfig(TrainingFixture.Config(c => { c.Data.TrainPath = bad; c.Data.ValPath = null; c.Data.CacheDir = Path.Combine(dir, "cache"); }));
        var dataError = Fails(new() { Config = badConfig, Output = NewOut("bad") });
        Assert.Contains($"{bad}:1", dataError.Message);
        Assert.Contains("nope.wav", dataError.Message);

        // The LLM's text tokenizer is missing: named, and nothing is written.
        var missingTokenizer = Path.Combine(dir, "missing-tokenizer.model");
        var noTokenizer = SaveConfig(TrainingFixture.Config(c => c.Model.Llm.TokenizerPath = missingTokenizer));
        var notWritten = NewOut("no-tokenizer");
        Assert.Equal(missingTokenizer, Fails(new() { Config = noTokenizer, Output = notWritten }).File);
        Assert.False(Directory.Exists(notWritten));
    }

    [Fact]
    public void AFailedWriteLeavesTheOldFolderAndNoTemporaryOne()
    {
        var output = NewOut("data");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "old.txt"), "old");
        Assert.Throws<IOException>(() => ExportFolder.Write(output, dir =>
        {
            File.WriteAllText(Path.Combine(dir, "half.safetensors"), "half");
            throw new IOException("disk full");
        }));
        Assert.Equal([Path.Combine(output, "old.txt")], Directory.GetFiles(output));
        Assert.Equal([output], Directory.GetFileSystemEntries(Path.GetDirectoryName(output)!));

        var files = ExportFolder.Write(output, dir => File.WriteAllText(Path.Combine(dir, "new.txt"), "new"));
        Assert.Equal(["new.txt"], files);
        Assert.Equal([Path.Combine(output, "new.txt")], Directory.GetFiles(output));
    }

    /// <summary>Every item of <paramref name="split"/> is in the split's files, bit for bit, with its index line.</summary>
    internal static void AssertSplit(string output, string name, TrainingSplit split, bool flow)
    {
        using var file = SafetensorsFile.Open(Path.Combine(output, name + ".safetensors"));
        var lines = File.ReadAllLines(Path.Combine(output, name + ".jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.NotEmpty(split.Llm);
        Assert.Equal(flow, split.Flow.Count > 0);
        Assert.Equal(2 * split.Llm.Count + 3 * split.Flow.Count, file.Entries.Count);
        Assert.Equal(split.Llm.Count + split.Flow.Count, lines.Count);
        var joint = split.Joint.ToDictionary(p => p.Llm, p => p.Flow);
        for (int i = 0; i < split.Llm.Count; i++)
        {
            var (record, example) = (split.Llm[i].Record, split.Llm[i].Example);
            var ids = Longs(file, TrainingDataFiles.LlmKey(i, "input_ids"));
            var labels = Longs(file, TrainingDataFiles.LlmKey(i, "labels"));
            Assert.Equal(example.InputIds, ids);
            Assert.Equal(example.Labels, labels);
            // Labels are aligned with the ids (the loss shifts), scored on the target audio and EOS only.
            int scored = Enumerable.Range(0, ids.Length).Count(k => labels[k] != CausalLmLoss.IgnoreIndex);
            Assert.True(scored > 0 && labels[^1] == ids[^1], $"{name} item {i}: {scored} scored labels, last {labels[^1]}");
            Assert.All(Enumerable.Range(0, ids.Length).Where(k => labels[k] != CausalLmLoss.IgnoreIndex), k => Assert.Equal(ids[k], labels[k]));
            var line = lines[i];
            Assert.Equal(("llm", i), (line["kind"]!.GetValue<string>(), line["index"]!.GetValue<int>()));
            Assert.Equal((record.ManifestPath, record.Line), (line["manifest"]!.GetValue<string>(), line["line"]!.GetValue<int>()));
            Assert.Equal(record.TargetAudioPath, line["target_audio_path"]!.GetValue<string>());
            Assert.Equal((ids.Length, scored), (line["length"]!.GetValue<int>(), line["scored"]!.GetValue<int>()));
            Assert.Equal(joint.TryGetValue(i, out var j) ? j : null, line["flow_index"]?.GetValue<int>());
            Assert.Equal(TrainingDataFiles.LlmKey(i, "labels"), line["keys"]!["labels"]!.GetValue<string>());
        }
        for (int j = 0; j < split.Flow.Count; j++)
        {
            var clip = split.Flow[j];
            AssertSameTensor(clip.Token, file, TrainingDataFiles.FlowKey(j, "speech_token"));
            AssertSameTensor(clip.Feat, file, TrainingDataFiles.FlowKey(j, "speech_feat"));
            AssertSameTensor(clip.Embedding, file, TrainingDataFiles.FlowKey(j, "embedding"));
            var line = lines[split.Llm.Count + j];
            Assert.Equal(("flow", j), (line["kind"]!.GetValue<string>(), line["index"]!.GetValue<int>()));
            Assert.Equal(clip.Path, line["audio_path"]!.GetValue<string>());
            Assert.Equal((clip.TokenFrames, clip.Feat.shape[0]), (line["token_frames"]!.GetValue<int>(), line["feat_frames"]!.GetValue<long>()));
        }
    }

    static long[] Longs(SafetensorsFile file, string key)
    {
        using var t = file.Read(key);
        Assert.Equal(ScalarType.Int64, t.dtype);
        return t.data<long>().ToArray();
    }

    static void AssertSameTensor(Tensor expected, SafetensorsFile file, string key)
    {
        using var t = file.Read(key);
        Assert.Equal(expected.dtype, t.dtype);
        Assert.Equal(expected.shape, t.shape);
        Assert.True(expected.contiguous().bytes.SequenceEqual(t.contiguous().bytes), $"{key} differs from the trainer's tensor");
    }
}
