using System.Text.Json;
using StepAudio.Llm;
using static TorchSharp.torch;

namespace StepAudio.Tests.Llm;

public class Step1PromptTests
{
    static readonly string Dir = Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "tokenizer");
    static Step1TextTokenizer Tok() => Step1TextTokenizer.Load(Path.Combine(Dir, "tiny_unigram.model"));

    [Fact]
    public void EncodesLikeSentencePiece()
    {
        var tok = Tok();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "tiny_unigram.expected.json")));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var text = c.GetProperty("text").GetString()!;
            var expected = c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(expected, tok.Encode(text));
        }
        Assert.Equal("Hello 龘 天气\n", tok.Decode(tok.Encode("Hello 龘 天气\n")));
    }

    [Fact]
    public void AudioTokensBecomeOffsetIds()
    {
        var tok = Tok();
        int offset = tok.AudioTokenOffset!.Value;
        Assert.Equal(5, offset);
        var tokens = Step1AudioTokens.Interleave(new long[] { 3, 9, 1, 2, 7 }, new long[] { 0, 1, 2, 3, 4, 5, 6 },
            new Step1Config { Vq02Codebook = 16, HiddenSize = 1, NumHiddenLayers = 1, NumAttentionHeads = 1, NumAttentionGroups = 1, IntermediateSize = 1, VocabSize = 1 });
        Assert.Equal(new[] { 3, 9, 16, 17, 18, 1, 2, 19, 20, 21 }, tokens);
        Assert.Equal(tokens.Select(n => offset + n).ToArray(), tok.Encode(Step1AudioTokens.ToText(tokens)).Skip(1));
    }

    [Fact]
    public void PromptsHaveUpstreamTurnStructure()
    {
        var tok = Tok();
        var b = new Step1PromptBuilder(tok);
        var clone = b.Clone("clone_0123456789abcdef", "hello world", new[] { 1, 2, 3 }, "天气很好");
        Assert.Equal(new[] { 1, 4 }, clone.Take(2));
        Assert.Equal(tok.Encode("assistant\n"), clone.TakeLast(tok.Encode("assistant\n").Count));
        Assert.Equal(2, clone.Count(i => i == 3));
        Assert.Equal(3, clone.Count(i => i == 4));
        var edit = b.Edit("emotion", "happy", " hi ", new[] { 5, 6 });
        Assert.Contains(tok.PieceId("<audio_5>")!.Value, edit);
        Assert.Throws<ArgumentException>(() => b.Edit("louder", null, "x", new[] { 1 }));
    }

    [Fact]
    public void RecordsMapToCloneOrEditPrompts()
    {
        var tok = Tok();
        var b = new Step1PromptBuilder(tok);
        var audio = new[] { 1, 2 };
        var target = new[] { 7, 8, 9 };
        var clone = new Step1PromptRecord("clone", "p", "t", null, audio, target, "spk");
        Assert.Equal(b.Clone("spk", "p", audio, "t"), clone.BuildPrompt(b));
        var pron = clone with { EditType = "pronunciation" };
        Assert.Equal(clone.BuildPrompt(b), pron.BuildPrompt(b));
        var para = new Step1PromptRecord("paralinguistic", "old", "new[Laughter]", null, audio, target, "spk");
        Assert.Equal(b.Edit("paralinguistic", null, "old", audio, "new[Laughter]"), para.BuildPrompt(b));
        var emo = new Step1PromptRecord("emotion", "old", "ignored", "sad", audio, target, "spk");
        Assert.Equal(b.Edit("emotion", "sad", "old", audio), emo.BuildPrompt(b));

        var ex = clone.ToExample(b, audioTokenOffset: 5, eosTokenId: 3);
        int n = clone.BuildPrompt(b).Count;
        Assert.Equal(n + 4, ex.Length);
        Assert.All(ex.Labels.Take(n), l => Assert.Equal(-100, l));
        Assert.Equal(new long[] { 12, 13, 14, 3 }, ex.Labels.Skip(n));
        Assert.Equal(new long[] { 12, 13, 14, 3 }, ex.InputIds.Skip(n));
    }

    [Fact]
    public void BatchesAreRightPaddedAndLengthBucketed()
    {
        using var scope = NewDisposeScope();
        var examples = new[] { 5, 9, 6, 12, 7 }.Select(len =>
            Step1TrainingExample.Build(Enumerable.Repeat(10, len - 3).ToList(), new[] { 1, 2 }, 20, 3)).ToList();
        var buckets = Step1Batch.Buckets(examples, maxBatchSize: 2, maxTokens: 20);
        Assert.Equal(new[] { new[] { 0, 2 }, new[] { 4, 1 }, new[] { 3 } }, buckets);
        var shuffled = Step1Batch.Buckets(examples, 2, 20, seed: 1);
        Assert.Equal(buckets.SelectMany(x => x).Order(), shuffled.SelectMany(x => x).Order());
        using var batch = Step1Batch.Collate(new[] { examples[0], examples[1] }, padTokenId: 0);
        Assert.Equal(new long[] { 2, 9 }, batch.InputIds.shape);
        Assert.Equal(new long[] { 21, 22, 3, 0, 0, 0, 0 }, batch.InputIds[0, 2..].data<long>().ToArray());
        Assert.Equal(new long[] { -100, -100, -100, -100 }, batch.Labels[0, 5..].data<long>().ToArray());
    }
}
