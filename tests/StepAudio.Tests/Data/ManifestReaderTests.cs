using System.Text;
using StepAudio.Data;

namespace StepAudio.Tests.Data;

public class ManifestReaderTests
{
    // Each case puts one bad line on line 2, after a good line 1, and names the field and message expected.
    [Theory]
    [InlineData("{\"prompt_audio_path\": \"a.wav\",", null, "invalid JSON at byte")]
    [InlineData("[\"a.wav\", \"b.wav\"]", null, "expected a JSON object, got a list")]
    [InlineData("{\"target_audio_path\": \"b.wav\"}", "prompt_audio_path", "missing required field")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\"}", "target_audio_path", "missing required field")]
    [InlineData("{\"prompt_audio_path\": 7, \"target_audio_path\": \"b.wav\"}", "prompt_audio_path", "expected a string, got a number")]
    [InlineData("{\"prompt_audio_path\": \" \", \"target_audio_path\": \"b.wav\"}", "prompt_audio_path", "the path is empty")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"missing.wav\"}", "target_audio_path", "file not found")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"prompt_text\": 12}", "prompt_text", "expected a string, got a number")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"speaker_id\": [1]}", "speaker_id", "expected a string, got a list")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"edit_type\": \"laugh\"}", "edit_type", "unknown edit type \"laugh\"")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"edit_type\": \"clone\", \"edit_type\": \"speed\"}", "edit_type", "appears more than once")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"target_audio_tokens\": \"1 2 3\"}", "target_audio_tokens", "expected a list of integers, got a string")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"target_audio_tokens\": [1, 2.5]}", "target_audio_tokens", "element 1 is 2.5, not an integer")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"target_audio_tokens\": [1, \"2\"]}", "target_audio_tokens", "element 1 is a string, not an integer")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"prompt_audio_tokens\": [1, -3]}", "prompt_audio_tokens", "element 1 = -3 is out of range 0..5119")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"prompt_audio_tokens\": [1, 2, 5120]}", "prompt_audio_tokens", "element 2 = 5120 is out of range 0..5119")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"prompt_audio_tokens\": [1, 1024]}", "prompt_audio_tokens", "element 1 = 1024 is a vq06 code where a vq02 code belongs")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"prompt_audio_tokens\": [5, 6, 7]}", "prompt_audio_tokens", "element 2 = 7 is a vq02 code where a vq06 code belongs")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"target_audio_tokens\": []}", "target_audio_tokens", "the token list is empty")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"speaker_embedding\": \"0.1 0.2\"}", "speaker_embedding", "expected a list of numbers, got a string")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"speaker_embedding\": []}", "speaker_embedding", "the list is empty")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"speaker_embedding\": [0.5, \"x\"]}", "speaker_embedding", "element 1 is a string, not a finite number")]
    [InlineData("{\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\", \"speaker_embedding\": [0.5, 1e39]}", "speaker_embedding", "element 1 is 1e39, not a finite number")]
    public void BadRecordIsReportedWithFileLineFieldAndMessage(string badLine, string? field, string fragment)
    {
        using var d = new DataFolder();
        d.Tone("a.wav"); d.Tone("b.wav");
        var manifest = d.Text("train.jsonl", DataFolder.Line() + "\n" + badLine + "\n");
        var result = ManifestReader.Parse(manifest);
        ProblemAssert.Single(result.Problems, true, manifest, 2, field, fragment);
        Assert.Single(result.Records);
        Assert.Equal(1, result.Records[0].Line);
        var thrown = Assert.Throws<InputException>(() => ManifestReader.Load(manifest));
        Assert.Equal((manifest, 2, field), (thrown.File, thrown.Line, thrown.Field));
    }

    [Fact]
    public void LlmIdsGetTheSubtractHint()
    {
        using var d = new DataFolder();
        d.Tone("a.wav"); d.Tone("b.wav");
        var manifest = d.Text("m.jsonl", DataFolder.Line(extra: ", \"target_audio_tokens\": [65537, 65538]"));
        var p = ProblemAssert.Single(ManifestReader.Parse(manifest).Problems, true, manifest, 1, "target_audio_tokens", "65537 is out of range");
        Assert.Contains("subtract 65536", p.Fix);
    }

    [Fact]
    public void InvalidUtf8LineIsReported()
    {
        using var d = new DataFolder();
        d.Tone("a.wav"); d.Tone("b.wav");
        var good = Encoding.UTF8.GetBytes(DataFolder.Line() + "\n");
        var bad = Encoding.UTF8.GetBytes(DataFolder.Line()).Concat(new byte[] { 0xC3, 0x28, (byte)'\n' }).ToArray();
        var manifest = d.Bytes("m.jsonl", good.Concat(bad).ToArray());
        ProblemAssert.Single(ManifestReader.Parse(manifest).Problems, true, manifest, 2, null, "not valid UTF-8");
    }

    [Fact]
    public void Utf16FileIsRejectedWithAFix()
    {
        using var d = new DataFolder();
        var manifest = d.Bytes("m.jsonl", Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(DataFolder.Line())).ToArray());
        var p = ProblemAssert.Single(ManifestReader.Parse(manifest).Problems, true, manifest, null, null, "UTF-16");
        Assert.Contains("UTF-8", p.Fix);
    }

    [Fact]
    public void BomCrlfAndBlankLinesAreAccepted()
    {
        using var d = new DataFolder();
        d.Tone("a.wav"); d.Tone("b.wav");
        var body = "\r\n" + DataFolder.Line() + "\r\n   \r\n\r\n" + DataFolder.Line("b.wav", "a.wav", ", \"edit_type\": \"Speed \", \"edit_info\": \"faster\"") + "\r\n";
        var manifest = d.Bytes("m.jsonl", new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(body)).ToArray());
        var result = ManifestReader.Parse(manifest);
        Assert.Empty(result.Problems);
        Assert.Equal(new[] { 2, 5 }, result.Records.Select(r => r.Line));
        Assert.Equal(EditType.Clone, result.Records[0].EditType);
        Assert.Equal(EditType.Speed, result.Records[1].EditType);
        Assert.Equal("faster", result.Records[1].EditInfo);
        Assert.Equal("good morning", result.Records[0].TargetText);
    }

    [Fact]
    public void PathsResolveAgainstTheManifestFolder()
    {
        using var d = new DataFolder();
        var a = d.Tone("audio/spk/a.wav");
        var b = d.Tone("b.wav");
        var manifest = d.Text("lists/train.jsonl", DataFolder.Line("../audio/spk/a.wav", b));
        var r = Assert.Single(ManifestReader.Load(manifest));
        Assert.Equal(a, r.PromptAudioPath);
        Assert.Equal(b, r.TargetAudioPath);
        Assert.Equal(manifest, r.ManifestPath);

        // The same relative path from another folder is a missing file naming where it looked.
        var wrong = d.Text("train.jsonl", DataFolder.Line("../audio/spk/a.wav", b));
        var p = ProblemAssert.Single(ManifestReader.Parse(wrong).Problems, true, wrong, 1, "prompt_audio_path", "file not found");
        Assert.Contains(Path.GetFullPath(Path.Combine(d.Root, "../audio/spk/a.wav")), p.Problem);
    }

    [Fact]
    public void UnknownFieldIsAWarningWithASuggestion()
    {
        using var d = new DataFolder();
        d.Tone("a.wav"); d.Tone("b.wav");
        var manifest = d.Text("m.jsonl", DataFolder.Line(extra: ", \"target_txt\": \"x\", \"mood\": 3"));
        var result = ManifestReader.Parse(manifest);
        Assert.Single(result.Records);
        Assert.False(result.HasErrors);
        var p = ProblemAssert.Single(result.Problems, false, manifest, 1, "target_txt", "unknown field");
        Assert.Contains("did you mean \"target_text\"", p.Fix);
        ProblemAssert.Single(result.Problems, false, manifest, 1, "mood", "unknown field");
    }

    [Fact]
    public void PrecomputedTokensAreRead()
    {
        using var d = new DataFolder();
        d.Tone("a.wav"); d.Tone("b.wav");
        var manifest = d.Text("m.jsonl", DataFolder.Line(extra: ", \"prompt_audio_tokens\": [3, 1023, 1024, 5119, 2000], \"target_audio_tokens\": [0, 1, 1024, 1025, 1026, 7]"));
        var result = ManifestReader.Parse(manifest);
        var r = Assert.Single(result.Records);
        Assert.Equal(new[] { 3, 1023, 1024, 5119, 2000 }, r.PromptAudioTokens);
        Assert.Equal(6, r.TargetAudioTokens!.Count);
        ProblemAssert.Single(result.Problems, false, manifest, 1, "target_audio_tokens", "not a whole number of 5-token groups");
    }

    [Fact]
    public void A_precomputed_speaker_embedding_is_read_as_floats()
    {
        using var d = new DataFolder();
        d.Tone("a.wav"); d.Tone("b.wav");
        var values = Enumerable.Range(0, 192).Select(i => (i - 96) / 100.0).ToArray();
        var manifest = d.Text("m.jsonl", DataFolder.Line(extra: ", \"speaker_embedding\": [" +
            string.Join(", ", values.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]"));
        var r = Assert.Single(ManifestReader.Load(manifest));
        Assert.Equal(values.Select(v => (float)v), r.SpeakerEmbedding!);
    }

    [Fact]
    public void EditTypeNamesCoverUpstreamAndTheSeed()
    {
        Assert.Equal(new[] { "clone", "emotion", "style", "vad", "denoise", "paralinguistic", "speed", "pronunciation" }, EditTypes.Names);
        Assert.True(EditType.Emotion.NeedsEditInfo());
        Assert.False(EditType.Pronunciation.NeedsEditInfo());
        Assert.Contains("more slower", EditType.Speed.KnownEditInfo());
    }
}
