// Mirrors tokenizer.py text side: the SentencePiece tokenizer.model of the model folder.
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

/// <summary>
/// Works around a Microsoft.ML.Tokenizers 2.0.1 bug: for unigram models it maps byte-fallback byte b to
/// <c>id(last BYTE piece) + b</c> instead of <c>id(&lt;0x00&gt;) + b</c>, so every byte piece comes out 255 too high
/// (e.g. '\n' as 't'). Retyping the <c>&lt;0xNN&gt;</c> pieces from BYTE (6) to NORMAL (1) in the serialized
/// ModelProto makes it look the offset up by name, which is right. Both type values are one-byte varints, so the
/// patch rewrites single bytes and no lengths change.
/// </summary>
internal static class SentencePieceModelPatch
{
    const int ByteType = 6, NormalType = 1;

    /// <summary>A copy of the serialized model with BYTE pieces retyped as NORMAL; the ids of byte pieces by byte value.</summary>
    public static byte[] RetypeBytePieces(byte[] model, out int patched)
    {
        var data = (byte[])model.Clone();
        patched = 0;
        int pos = 0;
        while (pos < data.Length)
        {
            ulong tag = ReadVarint(data, ref pos);
            int field = (int)(tag >> 3), wire = (int)(tag & 7);
            if (wire == 2 && field == 1)
            {
                int len = checked((int)ReadVarint(data, ref pos));
                patched += PatchPiece(data, pos, pos + len);
                pos += len;
            }
            else SkipField(data, ref pos, wire);
        }
        return data;
    }

    static int PatchPiece(byte[] data, int start, int end)
    {
        int pos = start;
        while (pos < end)
        {
            ulong tag = ReadVarint(data, ref pos);
            int field = (int)(tag >> 3), wire = (int)(tag & 7);
            if (field == 3 && wire == 0 && data[pos] == ByteType)
            {
                data[pos] = NormalType;
                return 1;
            }
            SkipField(data, ref pos, wire);
        }
        return 0;
    }

    /// <summary>Steps over one protobuf field's value of wire type <paramref name="wire"/>.</summary>
    internal static void SkipField(byte[] data, ref int pos, int wire)
    {
        switch (wire)
        {
            case 0: ReadVarint(data, ref pos); break;
            case 1: pos += 8; break;
            case 5: pos += 4; break;
            case 2:
                int len = checked((int)ReadVarint(data, ref pos));   // read first: `pos += Read(ref pos)` adds to the old pos
                pos += len;
                break;
            default: throw new InvalidDataException($"unsupported protobuf wire type {wire} at byte {pos}");
        }
    }

    internal static ulong ReadVarint(byte[] data, ref int pos)
    {
        ulong v = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length) throw new InvalidDataException("truncated protobuf varint");
            byte b = data[pos++];
            v |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw new InvalidDataException("protobuf varint too long");
    }
}
