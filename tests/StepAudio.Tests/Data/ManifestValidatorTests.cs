using System.Text;
using StepAudio.Audio;
using StepAudio.Config;
using StepAudio.Data;

namespace StepAudio.Tests.Data;

public class ManifestValidatorTests
{
    static DataConfig Config(int rate = 8000) => new() { SampleRate = rate };

    static DataReport Validate(DataConfig config, TrainMode mode, params string[] manifests) =>
        ManifestValidator.Validate(manifests, config, mode);

    // Bad audio: each writes a good prompt a.wav and a bad target, and expects one error on target_audio_path.
    public static TheoryData<string, string> BadAudio => new()
    {
        { "text", "unsupported format: not a RIFF/WAVE file" },
        { "flac", "looks like FLAC" },
        { "truncated", "corrupt WAV" },
        { "nan", "NaN/Inf samples" },
        { "silent", "the clip is silent" },
        { "short", "under data.filter.min_length 100" },
        { "long", "over data.max_audio_len 2 s" },
        { "huge", "over data.filter.max_length 300" },
    };

    [Theory]
    [MemberData(nameof(BadAudio))]
    public void BadAudioIsAnErrorOnTheRecordThatUsesIt(string kind, string fragment)
    {
        using var d = new DataFolder();
        d.Tone("a.wav");
        switch (kind)
        {
            case "text": d.Text("b.wav", "this is not audio\n"); break;
            case "flac": d.Bytes("b.wav", Encoding.ASCII.GetBytes("fLaC\0\0\0\"rest of a flac stream")); break;
            case "truncated": d.Bytes("b.wav", File.ReadAllBytes(d.Tone("full.wav")).Take(30).ToArray()); break;
            case "nan":
                var x = new float[12000];
                for (int i = 0; i < x.Length; i++) x[i] = 0.1f * MathF.Sin(i * 0.1f);
                x[500] = float.NaN; x[900] = float.PositiveInfinity;
                d.Wav("b.wav", x, 8000, WavSampleFormat.Float, 32);
                break;
            case "silent": d.Wav("b.wav", new float[12000], 8000); break;
            case "short": d.Tone("b.wav", seconds: 0.6); break;
            case "long": d.Tone("b.wav", seconds: 2.5); break;
            case "huge": d.Tone("b.wav", seconds: 3.5); break;
        }
        var manifest = d.Text("train.jsonl", DataFolder.Line() + "\n");
        var config = Config();
        if (kind == "long") config.MaxAudioLen = 2;
        if (kind == "huge") config.Filter.MaxLength = 300;
        var report = Validate(config, TrainMode.Both, manifest);
        var p = ProblemAssert.Single(report.Problems, true, manifest, 1, "target_audio_path", fragment);
        Assert.StartsWith("b.wav: ", p.Problem);
        Assert.True(report.HasErrors);
        Assert.DoesNotContain(report.Problems, q => q.IsError && q.Field == "prompt_audio_path");
    }

    [Fact]
    public void TextsAreRequiredOnlyWhenTheLlmTrains()
    {
        using var d = new DataFolder();
        d.Tone("a.wav"); d.Tone("b.wav");
        var manifest = d.Text("m.jsonl", "{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"target_text\": \"\"}\n");
        foreach (var mode in new[] { TrainMode.Llm, TrainMode.Both })
        {
            var report = Validate(Config(), mode, manifest);
            ProblemAssert.Single(report.Problems, true, manifest, 1, "prompt_text", "missing; train_mode");
            ProblemAssert.Single(report.Problems, true, manifest, 1, "target_text", "missing; train_mode");
        }
        Assert.False(Validate(Config(), TrainMode.Flow, manifest).HasErrors);
    }

    [Theory]
    [InlineData("emotion", "", true, "edit_info", "missing; edit_type emotion needs it")]
    [InlineData("style", "", true, "edit_info", "missing; edit_type style needs it")]
    [InlineData("speed", "", true, "edit_info", "missing; edit_type speed needs it")]
    [InlineData("emotion", ", \"edit_info\": \"grumpy\"", false, "edit_info", "\"grumpy\" is not one of upstream's emotion values")]
    [InlineData("clone", ", \"edit_info\": \"happy\"", false, "edit_info", "ignored for edit_type clone")]
    [InlineData("paralinguistic", "", false, "target_text", "has none of upstream's paralinguistic tags")]
    public void EditInfoRules(string editType, string extra, bool isError, string field, string fragment)
    {
        using var d = new DataFolder();
        d.Tone("a.wav"); d.Tone("b.wav");
        var manifest = d.Text("m.jsonl", DataFolder.Line(extra: $", \"edit_type\": \"{editType}\"{extra}"));
        ProblemAssert.Single(Validate(Config(), TrainMode.Flow, manifest).Problems, isError, manifest, 1, field, fragment);
    }

    [Fact]
    public void ParalinguisticNeedsTargetTextEvenForFlow()
    {
        using var d = new DataFolder();
        d.Tone("a.wav"); d.Tone("b.wav");
        var manifest = d.Text("m.jsonl", "{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"edit_type\": \"paralinguistic\"}");
        ProblemAssert.Single(Validate(Config(), TrainMode.Flow, manifest).Problems, true, manifest, 1, "target_text",
            "a paralinguistic edit is defined by the new text");
        var tagged = d.Text("t.jsonl", DataFolder.Line(extra: ", \"edit_type\": \"paralinguistic\"").Replace("good morning", "good [Laughter] morning"));
        Assert.Empty(Validate(Config(), TrainMode.Both, tagged).Problems);
    }

    [Fact]
    public void EmptyManifestIsAnError()
    {
        using var d = new DataFolder();
        var manifest = d.Text("empty.jsonl", "\n\n");
        ProblemAssert.Single(Validate(Config(), TrainMode.Flow, manifest).Problems, true, manifest, null, null, "no records");
    }

    [Fact]
    public void AudioWarningsClippingSilencePaddingAndForeignRate()
    {
        using var d = new DataFolder();
        d.Tone("a.wav", amplitude: 1.2); // clipped to ±1 when written as 16-bit
        d.Tone("b.wav", leadSilence: 0.8, trailSilence: 0.7);
        d.Tone("c.wav", rate: 16000);
        d.Tone("e.wav", rate: 16000);
        var manifest = d.Text("m.jsonl", DataFolder.Line() + "\n" + DataFolder.Line("c.wav", "e.wav") + "\n");
        var report = Validate(Config(), TrainMode.Both, manifest);
        Assert.False(report.HasErrors);
        ProblemAssert.Single(report.Problems, false, manifest, 1, "prompt_audio_path", "samples at |x| >= 0.999 (clipping)");
        ProblemAssert.Single(report.Problems, false, manifest, 1, "target_audio_path", "0.80 s of leading silence");
        ProblemAssert.Single(report.Problems, false, manifest, 1, "target_audio_path", "0.70 s of trailing silence");
        ProblemAssert.Single(report.Problems, false, manifest, 2, "prompt_audio_path", "16000 Hz, not data.sample_rate 8000 Hz (and 1 more clips");
        Assert.Equal(1, report.ClippedClips);
        Assert.Equal(new Dictionary<int, int> { [8000] = 2, [16000] = 2 }, report.SampleRates);
        Assert.Equal(4, report.Clips.Count);
        Assert.Equal(1.5, report.MinDuration, 3);
        Assert.Equal(3.0, report.MaxDuration, 3);
    }

    [Fact]
    public void DuplicatePairIsAWarningNamingTheFirst()
    {
        using var d = new DataFolder();
        d.Tone("a.wav"); d.Tone("b.wav");
        var manifest = d.Text("m.jsonl", DataFolder.Line() + "\n" + DataFolder.Line("./a.wav", "b.wav") + "\n");
        var report = Validate(Config(), TrainMode.Both, manifest);
        ProblemAssert.Single(report.Problems, false, manifest, 2, null, $"duplicate of {manifest}:1");
        Assert.Equal(1, report.DuplicateRecords);
    }

    [Fact]
    public void OverlapBetweenTrainAndValByAudioContentAndByTextAndSpeaker()
    {
        using var d = new DataFolder();
        d.Tone("a.wav"); d.Tone("b.wav", freq: 330);
        d.Tone("c.wav", freq: 440); d.Tone("e.wav", freq: 550); d.Tone("f.wav", freq: 660);
        File.Copy(d.PathOf("b.wav"), d.PathOf("b_copy.wav"));
        var train = d.Text("train.jsonl", DataFolder.Line() + "\n");
        // Line 1: the target is a byte copy of train's target under another name. Line 2: other audio, but the same
        // target text and speaker as train:1 (punctuation and case aside). Line 3: unrelated.
        var val = d.Text("val.jsonl",
            DataFolder.Line("c.wav", "b_copy.wav").Replace("good morning", "something else") + "\n" +
            DataFolder.Line("c.wav", "e.wav").Replace("good morning", "Good morning!") + "\n" +
            DataFolder.Line("e.wav", "f.wav").Replace("good morning", "a new sentence") + "\n");
        var report = Validate(Config(), TrainMode.Both, train, val);
        ProblemAssert.Single(report.Problems, false, val, 1, "target_audio_path", $"the same audio as in {train}:1 (content hash)");
        ProblemAssert.Single(report.Problems, false, val, 2, "target_text", $"the same target text and speaker as {train}:1");
        Assert.DoesNotContain(report.Problems, p => p.File == val && p.Line == 3);
        Assert.Equal(2, report.OverlappingRecords);
    }

    [Fact]
    public void TextLengthOutlierIsFlagged()
    {
        using var d = new DataFolder();
        var lines = new List<string>();
        for (int i = 0; i < 10; i++)
        {
            d.Tone($"p{i}.wav", seconds: 2, freq: 200 + 10 * i);
            d.Tone($"t{i}.wav", seconds: 2, freq: 300 + 10 * i);
            var text = i == 7 ? "this transcript is far too long for a two second clip, it goes on and on and on" : $"short line number {i}";
            lines.Add($"{{\"prompt_audio_path\": \"p{i}.wav\", \"prompt_text\": \"prompt {i} says this\", \"target_audio_path\": \"t{i}.wav\", \"target_text\": \"{text}\"}}");
        }
        var manifest = d.Text("m.jsonl", string.Join("\n", lines));
        var report = Validate(Config(), TrainMode.Both, manifest);
        var p = ProblemAssert.Single(report.Problems, false, manifest, 8, "target_text", "chars per second of speech against a median of");
        Assert.Contains("longer than what the clip says", p.Fix);
        Assert.Single(report.Warnings);
    }

    [Fact]
    public void CommittedDataSamplesValidateWithoutErrors()
    {
        var train = Path.Combine(TestPaths.DataSamples, "train.jsonl");
        var val = Path.Combine(TestPaths.DataSamples, "val.jsonl");
        var report = Validate(new DataConfig(), TrainMode.Both, train, val);
        Assert.True(!report.HasErrors, DataReportText.Render(report));
        Assert.Equal(0, report.OverlappingRecords);
        Assert.Equal(0, report.DuplicateRecords);
        Assert.True(report.Clips.Count >= 24);
        Assert.True(report.SpeakerCounts.Count >= 3);
        Assert.True(report.MinDuration >= 1.1 && report.MaxDuration <= 4.0, $"{report.MinDuration}..{report.MaxDuration}");
        foreach (var type in new[] { "clone", "speed", "emotion", "style" }) Assert.True(report.EditTypeCounts[type] > 0, type);
        Assert.Contains(24000, report.SampleRates.Keys);
        Assert.True(report.SampleRates.Count >= 2);
        Assert.Equal(new Dictionary<int, int> { [1] = report.Clips.Count }, report.ChannelCounts);
        long bytes = new DirectoryInfo(TestPaths.DataSamples).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        Assert.True(bytes < 6 * 1024 * 1024, $"{bytes} bytes");

        var text = DataReportText.Render(report, TestPaths.RepoRoot);
        Assert.Contains("manifest   data-samples/train.jsonl: 24 records", text);
        Assert.Contains("Errors (0)", text);
        Assert.EndsWith($"OK: no errors, {report.Warnings.Count} warning(s)", text);
    }
}
