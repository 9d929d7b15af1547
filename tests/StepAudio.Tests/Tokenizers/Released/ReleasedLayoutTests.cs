using StepAudio.Audio;
using StepAudio.Cli.Commands;
using StepAudio.Config;
using StepAudio.Data;
using StepAudio.Features;
using StepAudio.Tests.Tokenizers.Paraformer;
using StepAudio.Tokenizers;
using StepAudio.Tokenizers.Released;

namespace StepAudio.Tests.Tokenizers.Released;

/// <summary>
/// The released model's front end on tiny models in the real folder layout: <c>Step-Audio-Tokenizer/</c> (the FunASR
/// Paraformer folder, <c>linguistic_tokenizer.npy</c>, <c>speech_tokenizer_v1.onnx</c>) and
/// <c>CosyVoice-300M-25Hz/campplus.onnx</c>, through <c>prepare</c>'s path. One test captures the console, so the
/// class runs alone.
/// </summary>
[Collection(ConsoleCapture.Name)]
public sealed class ReleasedLayoutTests : IDisposable
{
    readonly string dir = TestPaths.NewTempDir("released-layout");
    string TokenizerDir => Path.Combine(dir, "Step-Audio-Tokenizer");
    string FlowDir => Path.Combine(dir, "Step-Audio-EditX", "CosyVoice-300M-25Hz");

    public ReleasedLayoutTests()
    {
        static string Onnx(string name) => Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "onnx", name);
        TinyParaformerFiles.Write(Path.Combine(TokenizerDir, StepAudioTokenizerFiles.FunAsrModelId));
        File.Copy(TinyParaformerFiles.CodebookPath, Path.Combine(TokenizerDir, StepAudioTokenizerFiles.CodebookFileName));
        File.Copy(Onnx("tiny_vq06.onnx"), Path.Combine(TokenizerDir, StepAudioTokenizerFiles.Vq06FileName));
        Directory.CreateDirectory(FlowDir);
        File.Copy(Onnx("tiny_campplus.onnx"), Path.Combine(FlowDir, CamPlusPlusFiles.FileName));
    }

    public void Dispose() => Directory.Delete(dir, true);

    static string Sample(string speaker, string name) => Path.Combine(TestPaths.DataSamples, "audio", speaker, name + ".wav");

    /// <summary>tiny.yaml pointed at the layout, with a manifest of <paramref name="pairs"/> (prompt, target).</summary>
    StepAudioConfig Config(params (string Prompt, string Target)[] pairs)
    {
        var manifest = Path.Combine(dir, "train.jsonl");
        File.WriteAllLines(manifest, pairs.Select(p =>
            $"{{\"prompt_audio_path\": \"{p.Prompt}\", \"target_audio_path\": \"{p.Target}\", \"prompt_text\": \"a\", \"target_text\": \"b\"}}"));
        var config = ConfigLoader.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny.yaml"));
        config.Data.TrainPath = manifest;
        config.Data.ValPath = null;
        config.Data.CacheDir = Path.Combine(dir, "cache");
        config.Model.Tokenizer.ModelPath = TokenizerDir;
        config.Model.Flow.ModelPath = FlowDir;
        return config;
    }

    StepAudioConfig SampleConfig() => Config(
        (Sample("en_us_male", "01"), Sample("en_us_male", "02")),
        (Sample("en_gb_female", "01"), Sample("en_gb_female", "02")));

    [Fact]
    public void Prepare_tokenizes_and_embeds_every_clip_with_the_released_front_end_then_reads_the_cache()
    {
        var config = SampleConfig();
        Assert.False(FeatureExtraction.Run(config).Report.HasErrors);
        var log = new List<string>();
        var first = FeatureExtraction.PrepareAudioTokens(config, log: log.Add);
        Assert.Empty(first.Errors);
        Assert.StartsWith("step-audio-tokenizer:model.pt=", first.TokenizerIdentity);
        Assert.Contains("linguistic_tokenizer.npy=", first.TokenizerIdentity);
        Assert.StartsWith("campplus:campplus.onnx=", first.SpeakerEncoderIdentity);
        Assert.Equal((4, 0), (first.TokenizedClips, first.PrecomputedClips));
        Assert.Equal((0, 4, 0), (first.TokenHits, first.TokenComputed, first.TokenRebuilt));
        Assert.Equal((0, 2, 0), (first.EmbeddingHits, first.EmbeddingComputed, first.EmbeddingRebuilt));
        Assert.Contains(log, l => l.StartsWith("loaded step-audio-tokenizer:"));

        // Each target's tokens are what the tokenizer gives for the clip: 2 vq02 + 3 vq06 per group, about 41.7 tokens/s.
        using var frontEnd = AudioFrontEnd.Create(config, new FeatureCache(config.Data.CacheDir!));
        var tokenizer = Assert.IsType<StepAudioTokenizer>(frontEnd.Tokenizer);
        var target = Sample("en_us_male", "02");
        var clip = WavFile.Read(target);
        var input = new TokenizerInput(clip, TorchSharp.torch.zeros(80, 1), target);
        var tokens = tokenizer.Tokenize(input);
        var (vq02, vq06, seconds) = tokenizer.Codes(input);
        Assert.Equal(Math.Min(vq02.Length / 2, vq06.Length / 3) * 5, tokens.Length);
        Assert.InRange(vq06.Length, 25 * seconds - 2, 25 * seconds + 2);
        Assert.InRange(vq02.Length, 16.67 * seconds - 3, 16.67 * seconds + 1);
        Assert.All(tokens.Where((_, i) => i % 5 < 2), t => Assert.InRange(t, 0, 63));        // the 64-code tiny codebook
        Assert.All(tokens.Where((_, i) => i % 5 >= 2), t => Assert.InRange(t, 1024, 5119));
        using (var cache = new FeatureCache(config.Data.CacheDir!))
            Assert.Equal(tokens, cache.GetAudioTokens(target, tokenizer));
        Assert.Equal(192, frontEnd.SpeakerEncoder.Embed(input).Length);

        var second = FeatureExtraction.PrepareAudioTokens(config);
        Assert.Equal((4, 0, 0), (second.TokenHits, second.TokenComputed, second.TokenRebuilt));
        Assert.Equal((2, 0, 0), (second.EmbeddingHits, second.EmbeddingComputed, second.EmbeddingRebuilt));
        Assert.Equal(first.Tokens, second.Tokens);
    }

    [Fact]
    public void Another_codebook_changes_the_identity_so_no_cached_token_is_reused()
    {
        var config = SampleConfig();
        FeatureExtraction.Run(config);
        var first = FeatureExtraction.PrepareAudioTokens(config);
        var npy = Path.Combine(TokenizerDir, StepAudioTokenizerFiles.CodebookFileName);
        var bytes = File.ReadAllBytes(npy);
        bytes[^1] ^= 0x01;   // the last centroid's last float changes a little
        File.WriteAllBytes(npy, bytes);
        var second = FeatureExtraction.PrepareAudioTokens(config);
        Assert.NotEqual(first.TokenizerIdentity, second.TokenizerIdentity);
        Assert.Equal(first.SpeakerEncoderIdentity, second.SpeakerEncoderIdentity);
        Assert.Equal((0, 4), (second.TokenHits, second.TokenComputed));
        Assert.Equal(2, second.EmbeddingHits);
    }

    [Fact]
    public void Prepare_reports_a_broken_and_a_silent_clip_and_still_prepares_the_other_records()
    {
        var broken = Path.Combine(dir, "broken.wav");
        File.WriteAllText(broken, "this is not a WAV file");
        var silent = Path.Combine(dir, "silent.wav");
        WavFile.Write(silent, AudioClip.Mono(new float[24000], 24000));
        var config = Config(
            (Sample("en_us_male", "01"), broken),
            (Sample("en_us_male", "01"), silent),
            (Sample("en_gb_female", "01"), Sample("en_gb_female", "02")));
        var mel = FeatureExtraction.Run(config, skipInvalidRecords: true);
        Assert.Equal(new[] { 1, 2 }, mel.Report.Errors.Select(e => e.Line!.Value).Distinct().Order());
        var usable = FeatureExtraction.UsableRecords(config, mel.Report);
        Assert.Equal(3, Assert.Single(usable).Line);
        Assert.Equal(2, mel.Clips);
        var summary = FeatureExtraction.PrepareAudioTokens(config, records: usable);
        Assert.Empty(summary.Errors);
        Assert.Equal((2, 1), (summary.TokenComputed, summary.EmbeddingComputed));

        var yaml = WriteYaml(config);
        var output = new StringWriter();
        var error = new StringWriter();
        var (stdout, stderr) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        int exit;
        try { exit = StepAudioCli.Run(["prepare", "--config", yaml]); }
        finally { Console.SetOut(stdout); Console.SetError(stderr); }
        Assert.Equal(StepAudioCli.BadInput, exit);
        Assert.Contains("broken.wav", output.ToString());
        Assert.Contains("silent.wav", output.ToString());
        Assert.Contains("preparing the other 1", output.ToString());
        Assert.Contains("2 cached", output.ToString());
        Assert.Contains("data error(s)", error.ToString());

        // Without the released tokenizer (the tiny default is fitted on the train set) prepare stops at the report.
        config.Model.Tokenizer.ModelPath = null;
        var tinyError = new StringWriter();
        Console.SetOut(TextWriter.Null);
        Console.SetError(tinyError);
        try { exit = StepAudioCli.Run(["prepare", "--config", WriteYaml(config)]); }
        finally { Console.SetOut(stdout); Console.SetError(stderr); }
        Assert.Equal(StepAudioCli.BadInput, exit);
        Assert.Contains("fix the errors above", tinyError.ToString());
    }

    [Fact]
    public void A_silent_clip_is_an_error_naming_it()
    {
        var config = SampleConfig();
        using var frontEnd = AudioFrontEnd.Create(config, new FeatureCache(config.Data.CacheDir!));
        var input = new TokenizerInput(AudioClip.Mono(new float[24000], 24000), TorchSharp.torch.zeros(80, 1), "/data/silent.wav");
        var e = Assert.Throws<InputException>(() => frontEnd.Tokenizer.Tokenize(input));
        Assert.Equal("/data/silent.wav", e.File);
        Assert.Contains("is silent", e.Problem);
    }

    [Fact]
    public void A_missing_file_names_itself_and_the_config_key_that_points_at_its_folder()
    {
        var config = SampleConfig();
        File.Delete(Path.Combine(FlowDir, CamPlusPlusFiles.FileName));
        using var cache = new FeatureCache(config.Data.CacheDir!);
        var e = Assert.Throws<InputException>(() => AudioFrontEnd.Create(config, cache));
        Assert.Equal("model.flow.model_path", e.Field);
        Assert.Contains(Path.Combine(FlowDir, "campplus.onnx"), e.Problem);

        File.Delete(Path.Combine(TokenizerDir, StepAudioTokenizerFiles.Vq06FileName));
        e = Assert.Throws<InputException>(() => AudioFrontEnd.Create(config, cache));
        Assert.Equal("model.tokenizer.model_path", e.Field);
        Assert.Contains("speech_tokenizer_v1.onnx", e.Problem);
    }

    /// <summary>The config as a YAML file the CLI can load (paths absolute).</summary>
    string WriteYaml(StepAudioConfig config)
    {
        var path = Path.Combine(dir, "config.yaml");
        File.WriteAllText(path, ConfigWriter.ToYaml(config));
        return path;
    }
}

/// <summary>Tests that redirect <see cref="Console"/> run in this collection, never beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCapture
{
    public const string Name = "console capture";
}
