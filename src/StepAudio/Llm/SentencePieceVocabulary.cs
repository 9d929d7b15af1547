using System.Text;

namespace StepAudio.Llm;

/// <summary>
/// Re-lays a SentencePiece <c>tokenizer.model</c>'s vocabulary to another model's size without retraining: the text
/// pieces before <c>&lt;audio_0&gt;</c> are kept (same ids, same segmentation), <c>&lt;unused_N&gt;</c> (UNUSED, never
/// produced) pad the text ids up to the new audio offset, then <c>&lt;audio_0&gt;</c>… (USER_DEFINED, matched
/// verbatim) follow. Every other field of the ModelProto (trainer and normalizer specs) is copied as is. This gives a
/// random-weight real-size model a tokenizer with the real vocabulary's layout (74752 ids, audio at 65536).
/// </summary>
public static class SentencePieceVocabulary
{
    const int UnusedType = 5, UserDefinedType = 4;

    /// <summary>
    /// The serialized model <paramref name="model"/> (whose first <paramref name="textPieces"/> pieces are text)
    /// with text ids padded to <paramref name="audioOffset"/> and <paramref name="audioTokens"/> audio pieces after.
    /// </summary>
    public static byte[] Relayout(byte[] model, int textPieces, int audioOffset, int audioTokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (textPieces < 0 || audioOffset < textPieces || audioTokens < 0)
            throw new ArgumentException($"need 0 ≤ text pieces ({textPieces}) ≤ audio offset ({audioOffset}) and audio tokens ≥ 0 ({audioTokens})");
        var pieces = new List<byte[]>();
        var rest = new MemoryStream();
        int pos = 0;
        while (pos < model.Length)
        {
            int start = pos;
            ulong tag = SentencePieceModelPatch.ReadVarint(model, ref pos);
            int field = (int)(tag >> 3), wire = (int)(tag & 7);
            SentencePieceModelPatch.SkipField(model, ref pos, wire);
            if (field == 1 && wire == 2) pieces.Add(model[start..pos]);
            else rest.Write(model, start, pos - start);
        }
        if (pieces.Count < textPieces)
            throw new InvalidDataException($"the model has {pieces.Count} pieces, fewer than the {textPieces} text pieces asked for");
        var output = new MemoryStream();
        foreach (var p in pieces.Take(textPieces)) output.Write(p);
        for (int id = textPieces; id < audioOffset; id++) WritePiece(output, $"<unused_{id}>", UnusedType);
        for (int k = 0; k < audioTokens; k++) WritePiece(output, $"<audio_{k}>", UserDefinedType);
        rest.WriteTo(output);
        return output.ToArray();
    }

    // SentencePiece { piece = 1 (string), score = 2 (float), type = 3 (enum) } as field 1 of ModelProto.
    static void WritePiece(Stream output, string piece, int type)
    {
        var body = new MemoryStream();
        var text = Encoding.UTF8.GetBytes(piece);
        body.WriteByte(0x0A);
        WriteVarint(body, (ulong)text.Length);
        body.Write(text);
        body.WriteByte(0x15);
        body.Write(BitConverter.GetBytes(0f));
        body.WriteByte(0x18);
        WriteVarint(body, (ulong)type);
        output.WriteByte(0x0A);
        WriteVarint(output, (ulong)body.Length);
        body.WriteTo(output);
    }

    static void WriteVarint(Stream s, ulong v)
    {
        while (v >= 0x80) { s.WriteByte((byte)(v | 0x80)); v >>= 7; }
        s.WriteByte((byte)v);
    }
}
