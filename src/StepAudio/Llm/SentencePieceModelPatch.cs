namespace StepAudio.Llm;

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
            switch (wire)
            {
                case 0: ReadVarint(data, ref pos); break;
                case 1: pos += 8; break;
                case 5: pos += 4; break;
                case 2:
                    int len = checked((int)ReadVarint(data, ref pos));
                    if (field == 1) patched += PatchPiece(data, pos, pos + len);
                    pos += len;
                    break;
                default: throw new InvalidDataException($"unsupported protobuf wire type {wire} at byte {pos}");
            }
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
            switch (wire)
            {
                case 0: ReadVarint(data, ref pos); break;
                case 1: pos += 8; break;
                case 5: pos += 4; break;
                case 2:
                    int len = checked((int)ReadVarint(data, ref pos));
                    pos += len;
                    break;
                default: throw new InvalidDataException($"unsupported protobuf wire type {wire} at byte {pos}");
            }
        }
        return 0;
    }

    static ulong ReadVarint(byte[] data, ref int pos)
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
