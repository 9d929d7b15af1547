using Microsoft.ML.Tokenizers;

namespace StepAudio.Llm;

/// <summary>
/// Step-Audio-EditX's text tokenizer: the SentencePiece unigram model in the model folder's <c>tokenizer.model</c>
/// (byte fallback; <c>&lt;audio_N&gt;</c>, <c>&lt;|BOT|&gt;</c>, <c>&lt;|EOT|&gt;</c> are pieces of their own).
/// <see cref="Encode"/> behaves like upstream's <c>tokenizer.encode</c>: no BOS/EOS, one dummy-prefix '▁' at the
/// start of each call, user-defined pieces matched verbatim.
/// </summary>
public sealed class Step1TextTokenizer
{
    readonly SentencePieceTokenizer spm;

    Step1TextTokenizer(SentencePieceTokenizer spm, string source)
    {
        this.spm = spm;
        Source = source;
    }

    /// <summary>The file this was read from.</summary>
    public string Source { get; }

    /// <summary>Number of pieces.</summary>
    public int VocabSize => spm.Vocabulary.Count;

    /// <summary>Reads a SentencePiece <c>tokenizer.model</c>.</summary>
    public static Step1TextTokenizer Load(string path)
    {
        if (!File.Exists(path))
            throw new InputException(path, null, null, "tokenizer.model not found",
                "point to the Step-Audio-EditX folder (it ships tokenizer.model)");
        try
        {
            var bytes = SentencePieceModelPatch.RetypeBytePieces(File.ReadAllBytes(path), out _);
            using var stream = new MemoryStream(bytes);
            return new Step1TextTokenizer(SentencePieceTokenizer.Create(stream, false, false), path);
        }
        catch (Exception e) when (e is not InputException)
        {
            throw new InputException(path, null, null, "not a readable SentencePiece model: " + e.Message,
                "use the tokenizer.model of the Hugging Face folder", e);
        }
    }

    /// <summary>Token ids of <paramref name="text"/> (no special tokens added).</summary>
    public IReadOnlyList<int> Encode(string text) =>
        spm.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);

    /// <summary>Text of <paramref name="ids"/> (byte pieces <c>&lt;0xNN&gt;</c> are joined back into UTF-8).</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        var sb = new System.Text.StringBuilder();
        foreach (var id in ids)
        {
            var raw = IdToPiece(id);
            if (raw is { Length: 6 } && raw.StartsWith("<0x", StringComparison.Ordinal) && raw[5] == '>')
            {
                bytes.Add(Convert.ToByte(raw[3..5], 16));
                continue;
            }
            if (bytes.Count > 0) { sb.Append(System.Text.Encoding.UTF8.GetString(bytes.ToArray())); bytes.Clear(); }
            sb.Append((raw ?? "").Replace('\u2581', ' '));
        }
        if (bytes.Count > 0) sb.Append(System.Text.Encoding.UTF8.GetString(bytes.ToArray()));
        var text = sb.ToString();
        return text.StartsWith(' ') ? text[1..] : text;
    }

    string? IdToPiece(int id)
    {
        pieces ??= spm.Vocabulary.ToDictionary(kv => kv.Value, kv => kv.Key);
        return pieces.TryGetValue(id, out var p) ? p : null;
    }

    Dictionary<int, string>? pieces;

    /// <summary>Id of <c>&lt;audio_0&gt;</c> (65536 in the real vocabulary), or null when the model has no audio pieces.</summary>
    public int? AudioTokenOffset => PieceId("<audio_0>");

    /// <summary>The id of a piece, or null when the vocabulary lacks it.</summary>
    public int? PieceId(string piece) => spm.Vocabulary.TryGetValue(piece, out var id) ? id : null;
}
