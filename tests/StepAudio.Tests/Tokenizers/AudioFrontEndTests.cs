using StepAudio.Config;
using StepAudio.Features;
using StepAudio.Tokenizers;
using StepAudio.Tokenizers.Released;

namespace StepAudio.Tests.Tokenizers;

public sealed class AudioFrontEndTests : IDisposable
{
    readonly string dir = TestPaths.NewTempDir("front-end");

    public void Dispose() => Directory.Delete(dir, true);

    static string Clip(string speaker, string name) => Path.Combine(TestPaths.DataSamples, "audio", speaker, name + ".wav");

    /// <summary>A small config: 2 train records over 4 clips (one with precomputed prompt tokens), 1 val record.</summary>
    StepAudioConfig SmallConfig()
    {
        string Line(string p, string t, string extra = "") =>
            $"{{\"prompt_audio_path\": \"{p}\", \"target_audio_path\": \"{t}\", \"prompt_text\": \"a\", \"target_text\": \"b\"{extra}}}\n";
        var train = Path.Combine(dir, "train.jsonl");
        File.WriteAllText(train,
            Line(Clip("en_us_male", "01"), Clip("en_us_male", "02")) +
            Line(Clip("en_gb_female", "01"), Clip("cmn_male", "01"), ", \"prompt_audio_tokens\": [0, 1, 1024, 1025, 1026]"));
        var val = Path.Combine(dir, "val.jsonl");
        File.WriteAllText(val, Line(Clip("en_gb_female", "01"), Clip("en_gb_female", "02")));
        var config = ConfigLoader.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny.yaml"));
        config.Data.TrainPath = train;
        config.Data.ValPath = val;
        config.Data.CacheDir = Path.Combine(dir, "cache");
        return config;
    }

    [Fact]
    public void The_tiny_pair_is_fitted_once_into_the_cache_folder_then_loaded()
    {
        var config = SmallConfig();
        using var cache = new FeatureCache(config.Data.CacheDir!);
        var log = new List<string>();
        var (tokenizer, speaker) = AudioFrontEnd.Create(config, cache, log.Add);
        Assert.IsType<TinyAudioTokenizer>(tokenizer);
        Assert.Equal(4, ((TinyAudioTokenizer)tokenizer).Fitted!.Clips);   // the distinct train clips
        Assert.Equal(config.Seed, ((TinyAudioTokenizer)tokenizer).Seed);
        var tokenizerFile = Path.Combine(cache.Directory, TinyTokenizers.TokenizerFileName);
        var speakerFile = Path.Combine(cache.Directory, TinyTokenizers.SpeakerEncoderFileName);
        Assert.True(File.Exists(tokenizerFile) && File.Exists(speakerFile));
        Assert.Contains(log, l => l.StartsWith("fitting the tiny audio tokenizer on 4"));

        log.Clear();
        var again = TinyTokenizers.EnsureFitted(config, cache, log.Add);
        Assert.Equal((tokenizer.Identity, speaker.Identity), (again.Tokenizer.Identity, again.SpeakerEncoder.Identity));
        Assert.All(log, l => Assert.StartsWith("loaded ", l));

        // A damaged file is refitted, and the deterministic fit gives the same identity back.
        File.WriteAllText(tokenizerFile, "junk");
        log.Clear();
        var refit = TinyTokenizers.EnsureFitted(config, cache, log.Add);
        Assert.Equal(tokenizer.Identity, refit.Tokenizer.Identity);
        Assert.Contains(log, l => l.Contains("refitting"));
    }

    [Fact]
    public void A_real_tokenizer_folder_without_its_files_names_the_missing_file_and_the_config_key()
    {
        var config = SmallConfig();
        config.Model.Tokenizer.ModelPath = Path.Combine(dir, "Step-Audio-Tokenizer");
        using var cache = new FeatureCache(config.Data.CacheDir!);
        var e = Assert.Throws<InputException>(() => AudioFrontEnd.Create(config, cache));
        Assert.Equal("model.tokenizer.model_path", e.Field);
        Assert.Contains(Path.Combine(config.Model.Tokenizer.ModelPath, StepAudioTokenizerFiles.FunAsrModelId, "model.pt"), e.Problem);
        Assert.Contains("huggingface-cli download stepfun-ai/Step-Audio-Tokenizer", e.Fix);
        Assert.False(File.Exists(Path.Combine(cache.Directory, TinyTokenizers.TokenizerFileName)));
    }

    [Fact]
    public void Prepare_tokenizes_and_embeds_every_clip_once()
    {
        var config = SmallConfig();
        var mel = FeatureExtraction.Run(config);
        Assert.False(mel.Report.HasErrors);
        var first = FeatureExtraction.PrepareAudioTokens(config);
        // 5 distinct clips; en_gb_female/01 is a prompt with precomputed tokens in train but not in val. Targets get
        // tokens and an embedding, prompts their prompt-preprocessed tokens: what training reads.
        Assert.Equal(5, first.Clips);
        Assert.Equal((5, 0), (first.TokenizedClips, first.PrecomputedClips));
        Assert.Equal((0, 5, 0), (first.TokenHits, first.TokenComputed, first.TokenRebuilt));
        Assert.Equal((0, 3, 0), (first.EmbeddingHits, first.EmbeddingComputed, first.EmbeddingRebuilt));
        Assert.Empty(first.Errors);
        Assert.True(first.Tokens > 0 && first.Tokens % 5 == 0);
        Assert.StartsWith("tiny-vq:", first.TokenizerIdentity);
        Assert.StartsWith("tiny-spk:", first.SpeakerEncoderIdentity);

        var progress = new List<FeatureExtractionProgress>();
        var second = FeatureExtraction.PrepareAudioTokens(config, progress.Add);
        Assert.Equal((5, 0, 0), (second.TokenHits, second.TokenComputed, second.TokenRebuilt));
        Assert.Equal((3, 0, 0), (second.EmbeddingHits, second.EmbeddingComputed, second.EmbeddingRebuilt));
        Assert.Equal(first.Tokens, second.Tokens);
        Assert.Equal(Enumerable.Range(1, 5), progress.Select(p => p.Done));

        // Without the val record, the precomputed prompt is never tokenized (and, not being a target, not embedded).
        config.Data.ValPath = null;
        var trainOnly = FeatureExtraction.PrepareAudioTokens(config);
        Assert.Equal((4, 3, 1), (trainOnly.Clips, trainOnly.TokenizedClips, trainOnly.PrecomputedClips));
        Assert.Equal((2, 0), (trainOnly.EmbeddingHits, trainOnly.EmbeddingComputed));

        // Training reads exactly these entries: nothing is tokenized or embedded again.
        using var cache = new FeatureCache(config.Data.CacheDir!);
        var written = Directory.GetFiles(cache.Directory, "*.safetensors", SearchOption.AllDirectories).Length;
        using (var inputs = StepAudio.Training.TrainingInputs.Prepare(config, llm: true, flow: true)) { }
        Assert.Equal(written, Directory.GetFiles(cache.Directory, "*.safetensors", SearchOption.AllDirectories).Length);
    }
}
