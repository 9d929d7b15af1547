using System.Text.Json;
using StepAudio.Config;
using StepAudio.Llm;

namespace StepAudio.Tests.Llm;

/// <summary>
/// The tiny default's own text tokenizer, <c>configs/tiny-tokenizer.model</c> (made by scripts/make-tiny-tokenizer.sh):
/// its vocabulary must line up with <see cref="Step1Config.Tiny"/> and cover data-samples/ and the prompt templates.
/// </summary>
public class TinyTokenizerTests
{
    static readonly string ModelPath = Path.Combine(TestPaths.RepoRoot, "configs", "tiny-tokenizer.model");
    static readonly Lazy<Step1TextTokenizer> Shared = new(() => Step1TextTokenizer.Load(ModelPath));
    static Step1TextTokenizer Tok => Shared.Value;
    static Step1Config Tiny => Step1Config.Tiny;

    /// <summary>Byte-fallback pieces <c>&lt;0x00&gt;</c>..<c>&lt;0xFF&gt;</c> sit at ids 5..260.</summary>
    const int FirstByteId = 5, LastByteId = 260, NewlineId = FirstByteId + '\n';

    static IEnumerable<string> Transcripts()
    {
        foreach (var split in new[] { "train.jsonl", "val.jsonl" })
            foreach (var line in File.ReadLines(Path.Combine(TestPaths.DataSamples, split)))
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                using var doc = JsonDocument.Parse(line);
                foreach (var key in new[] { "prompt_text", "target_text" })
                    if (doc.RootElement.TryGetProperty(key, out var v) && v.GetString() is { Length: > 0 } s)
                        yield return s;
            }
    }

    [Fact]
    public void TinyConfigPointsAtIt()
    {
        var c = ConfigLoader.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny.yaml"));
        Assert.Equal(ModelPath, c.Model.Llm.TokenizerPath);
        Assert.True(File.Exists(c.Model.Llm.TokenizerPath));
    }

    [Fact]
    public void VocabularyMatchesTheTinyStep1()
    {
        Assert.Equal(Tiny.VocabSize, Tok.VocabSize);
        Assert.Equal(Tiny.AudioTokenOffset, Tok.AudioTokenOffset);
        Assert.Equal(0, Tok.PieceId("<unk>"));
        Assert.Equal(Tiny.BosTokenId, Tok.PieceId("<s>"));
        Assert.Equal(Tiny.EosTokenId, Tok.PieceId("<|EOT|>"));
        Assert.Equal(4, Tok.PieceId("<|BOT|>"));
        Assert.Equal(FirstByteId, Tok.PieceId("<0x00>"));
        Assert.Equal(LastByteId, Tok.PieceId("<0xFF>"));
        Assert.Equal(Tiny.VocabSize - 1, Tok.PieceId("<audio_5119>"));
        Assert.Null(Tok.PieceId("<audio_5120>"));
    }

    [Fact]
    public void EveryTranscriptRoundTripsWithoutUnknownOrBytePieces()
    {
        var texts = Transcripts().Distinct().ToList();
        Assert.True(texts.Count >= 10, $"only {texts.Count} transcripts in data-samples/");
        Assert.Contains(texts, t => t.Any(ch => ch >= '\u4e00' && ch <= '\u9fff'));   // Mandarin is among them
        foreach (var text in texts)
        {
            var ids = Tok.Encode(text);
            Assert.DoesNotContain(0, ids);
            // Every character of the corpus is a piece of its own, so byte fallback is never needed here.
            Assert.DoesNotContain(ids, id => id is >= FirstByteId and <= LastByteId);
            Assert.All(ids, id => Assert.InRange(id, 0, Tiny.AudioTokenOffset - 1));
            Assert.Equal(text, Tok.Decode(ids));
        }
    }

    [Fact]
    public void UnseenCharactersFallBackToBytes()
    {
        const string text = "Zebra 龘 😀";
        var ids = Tok.Encode(text);
        Assert.DoesNotContain(0, ids);
        Assert.Contains(ids, id => id is >= FirstByteId and <= LastByteId);
        Assert.Equal(text, Tok.Decode(ids));
    }

    [Fact]
    public void AudioPiecesInsideTextBecomeOffsetIds()
    {
        var ids = Tok.Encode("speaker audio tokens: \n<audio_7><audio_5119>\n");
        var audio = ids.Where(id => id >= Tiny.AudioTokenOffset).ToArray();
        Assert.Equal(new[] { Tiny.AudioTokenOffset + 7, Tiny.AudioTokenOffset + 5119 }, audio);
        int at = ids.ToList().IndexOf(audio[0]);
        Assert.Equal(audio, ids.Skip(at).Take(2));
        Assert.Equal(NewlineId, ids[at - 1]);
        Assert.Equal(NewlineId, ids[at + 2]);
        Assert.Equal(new[] { Tiny.AudioTokenOffset + 7, Tiny.AudioTokenOffset + 5119 },
            Tok.Encode("<audio_7><audio_5119>").Skip(1));   // the first id is the dummy prefix '▁'
    }

    [Fact]
    public void ClonePromptBuildsInsideTheVocabulary()
    {
        var b = new Step1PromptBuilder(Tok, Tiny.BosTokenId, 4, Tiny.EosTokenId);
        var audio = new[] { 0, 7, 1023, 1024, 5119 };
        var ids = b.Clone("clone_0123456789abcdef", "今天天气很好。", audio, "The morning train was late again.");
        CheckPrompt(ids, audio);
    }

    [Fact]
    public void EditPromptsBuildInsideTheVocabularyForEveryOption()
    {
        var b = new Step1PromptBuilder(Tok, Tiny.BosTokenId, 4, Tiny.EosTokenId);
        var audio = new[] { 3, 1500, 5119 };
        // The options of upstream's edit types (docs/upstream-architecture.md §5); the template corpus covers each.
        var options = new (string Type, string[] Infos)[]
        {
            ("emotion", ["happy", "angry", "sad", "humour", "confusion", "disgusted", "empathy", "embarrass", "fear",
                "surprised", "excited", "depressed", "coldness", "admiration", "remove"]),
            ("style", ["serious", "arrogant", "child", "older", "girl", "pure", "sister", "sweet", "ethereal", "whisper",
                "gentle", "recite", "generous", "act_coy", "warm", "shy", "comfort", "authority", "chat", "radio",
                "soulful", "story", "vivid", "program", "news", "advertising", "roar", "murmur", "shout", "deeply",
                "loudly", "remove", "exaggerated"]),
            ("speed", ["faster", "slower", "more faster", "more slower"]),
            ("denoise", [""]),
            ("vad", [""]),
        };
        foreach (var (type, infos) in options)
            foreach (var info in infos)
                CheckPrompt(b.Edit(type, info, " Please put the red book on the shelf. ", audio), audio);
        CheckPrompt(b.Edit("paralinguistic", null, "我们去公园散步吧。", audio, "我们去公园散步吧[Laughter]。"), audio);
    }

    /// <summary>Turn structure, every id inside the tiny vocabulary, the audio as offset ids, '\n' the only byte piece.</summary>
    static void CheckPrompt(List<int> ids, int[] audio)
    {
        Assert.Equal(new[] { Tiny.BosTokenId, 4 }, ids.Take(2));
        Assert.Equal(2, ids.Count(i => i == Tiny.EosTokenId));
        Assert.Equal(3, ids.Count(i => i == 4));
        Assert.All(ids, id => Assert.InRange(id, 0, Tiny.VocabSize - 1));
        Assert.DoesNotContain(0, ids);
        Assert.Equal(audio.Select(n => Tiny.AudioTokenOffset + n), ids.Where(id => id >= Tiny.AudioTokenOffset));
        Assert.All(ids.Where(id => id is >= FirstByteId and <= LastByteId), id => Assert.Equal(NewlineId, id));
    }
}
