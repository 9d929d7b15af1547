using System.Text.Json;
using System.Text;

namespace StepAudio.Data;

/// <summary>
/// Reads JSONL manifests: one JSON object per line with <c>prompt_audio_path</c> and <c>target_audio_path</c>
/// (required) and <c>prompt_text</c>, <c>target_text</c>, <c>edit_type</c>, <c>edit_info</c>, <c>speaker_id</c>,
/// <c>prompt_audio_tokens</c>, <c>target_audio_tokens</c>, <c>speaker_embedding</c> (optional). The format of the
/// fork's <c>audio_edit_dataset_old.py</c>, plus <c>edit_info</c>, precomputed tokens and a precomputed speaker embedding
/// of the target (CAM++'s 192 floats for the released model).
/// </summary>
/// <remarks>
/// UTF-8 with or without BOM; LF or CRLF; blank lines are skipped. Relative audio paths resolve against the
/// manifest's folder. Unknown fields are warnings. Every problem names <c>file:line</c> and the field.
/// </remarks>
public static class ManifestReader
{
    /// <summary>Size of the mixed-stream token vocabulary: vq02 codes 0..1023, then vq06 codes 1024..5119.</summary>
    public const int MixedTokenCount = 5120;
    const int Vq02Count = 1024, LlmAudioOffset = 65536;

    /// <summary>The fields a manifest line may hold.</summary>
    public static IReadOnlyList<string> KnownFields { get; } = new[]
    {
        "prompt_audio_path", "target_audio_path", "prompt_text", "target_text", "edit_type", "edit_info",
        "speaker_id", "prompt_audio_tokens", "target_audio_tokens", "speaker_embedding",
    };

    /// <summary>Reads a manifest and throws an <see cref="InputException"/> at its first error (for training).</summary>
    public static IReadOnlyList<ManifestRecord> Load(string path)
    {
        var result = Parse(path);
        var first = result.Problems.FirstOrDefault(p => p.IsError);
        if (first != null) throw first.ToException();
        return result.Records;
    }

    /// <summary>Reads a manifest, collecting every problem instead of stopping at the first.</summary>
    public static ManifestParseResult Parse(string path)
    {
        var full = Path.GetFullPath(path);
        var problems = new List<DataProblem>();
        var records = new List<ManifestRecord>();
        byte[] bytes;
        try { bytes = File.ReadAllBytes(full); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add(DataProblem.Error(full, null, null, "cannot read the manifest: " + e.Message,
                "check the path; manifests are JSONL files, one JSON object per line"));
            return new ManifestParseResult(full, records, problems);
        }
        if (bytes.Length >= 2 && (bytes[0], bytes[1]) is (0xFF, 0xFE) or (0xFE, 0xFF))
        {
            problems.Add(DataProblem.Error(full, null, null, "the file is UTF-16",
                "save it as UTF-8 (with or without BOM)"));
            return new ManifestParseResult(full, records, problems);
        }
        var dir = Path.GetDirectoryName(full)!;
        var utf8 = new UTF8Encoding(false, true);
        int start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        for (int lineNo = 1; start <= bytes.Length; lineNo++)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) end = bytes.Length;
            int len = end - start;
            if (len > 0 && bytes[start + len - 1] == '\r') len--;
            string text;
            try { text = utf8.GetString(bytes, start, len); }
            catch (DecoderFallbackException)
            {
                problems.Add(DataProblem.Error(full, lineNo, null, "the line is not valid UTF-8",
                    "save the manifest as UTF-8"));
                start = end + 1;
                continue;
            }
            start = end + 1;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var record = ParseLine(full, dir, lineNo, text, problems);
            if (record != null) records.Add(record);
        }
        if (records.Count == 0 && !problems.Any(p => p.IsError))
            problems.Add(DataProblem.Error(full, null, null, "the manifest has no records",
                "add one JSON object per line with prompt_audio_path and target_audio_path"));
        return new ManifestParseResult(full, records, problems);
    }

    static ManifestRecord? ParseLine(string file, string dir, int line, string text, List<DataProblem> problems)
    {
        int before = problems.Count(p => p.IsError);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException e)
        {
            var column = e.BytePositionInLine is { } b ? $" at byte {b + 1}" : "";
            var reason = e.Message;
            int cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) reason = reason[..cut];
            problems.Add(DataProblem.Error(file, line, null, $"invalid JSON{column}: {reason}",
                "write one complete JSON object per line, e.g. {\"prompt_audio_path\": \"a.wav\", \"target_audio_path\": \"b.wav\"}"));
            return null;
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problems.Add(DataProblem.Error(file, line, null, $"expected a JSON object, got {Kind(root)}",
                    "write one JSON object per line: {\"prompt_audio_path\": ..., \"target_audio_path\": ...}"));
                return null;
            }
            var seen = new HashSet<string>();
            foreach (var prop in root.EnumerateObject())
            {
                if (!seen.Add(prop.Name))
                    problems.Add(DataProblem.Error(file, line, prop.Name, "the field appears more than once",
                        "keep one of them"));
                else if (!KnownFields.Contains(prop.Name))
                    problems.Add(DataProblem.Warning(file, line, prop.Name, "unknown field, ignored",
                        Suggest(prop.Name) is { } s
                            ? $"did you mean \"{s}\"?"
                            : "known fields: " + string.Join(", ", KnownFields)));
            }

            var promptPath = AudioPath(file, dir, line, root, "prompt_audio_path", problems);
            var targetPath = AudioPath(file, dir, line, root, "target_audio_path", problems);
            var promptText = OptionalString(file, line, root, "prompt_text", problems);
            var targetText = OptionalString(file, line, root, "target_text", problems);
            var editName = OptionalString(file, line, root, "edit_type", problems);
            var editInfo = OptionalString(file, line, root, "edit_info", problems);
            var speaker = OptionalString(file, line, root, "speaker_id", problems);
            var promptTokens = Tokens(file, line, root, "prompt_audio_tokens", problems);
            var targetTokens = Tokens(file, line, root, "target_audio_tokens", problems);
            var embedding = Embedding(file, line, root, "speaker_embedding", problems);

            var editType = EditType.Clone;
            if (editName != null && !EditTypes.TryParse(editName, out editType))
                problems.Add(DataProblem.Error(file, line, "edit_type", $"unknown edit type \"{editName}\"",
                    "use one of: " + string.Join(", ", EditTypes.Names)));

            if (problems.Count(p => p.IsError) > before || promptPath == null || targetPath == null) return null;
            return new ManifestRecord(file, line, promptPath, targetPath, promptText, targetText, editType,
                editInfo, speaker, promptTokens, targetTokens, embedding);
        }
    }

    static string? AudioPath(string file, string dir, int line, JsonElement root, string field, List<DataProblem> problems)
    {
        if (!root.TryGetProperty(field, out var el) || el.ValueKind == JsonValueKind.Null)
        {
            problems.Add(DataProblem.Error(file, line, field, "missing required field",
                $"add \"{field}\": \"path/to/clip.wav\" (relative paths resolve against {dir})"));
            return null;
        }
        if (el.ValueKind != JsonValueKind.String)
        {
            problems.Add(DataProblem.Error(file, line, field, $"expected a string, got {Kind(el)}",
                "give the audio path as a JSON string"));
            return null;
        }
        var value = el.GetString()!;
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add(DataProblem.Error(file, line, field, "the path is empty", "give the path of a WAV file"));
            return null;
        }
        if (value.Contains('\0'))
        {
            problems.Add(DataProblem.Error(file, line, field, "the path contains a NUL character (\\u0000)",
                "remove it; a file name cannot contain NUL"));
            return null;
        }
        var full = Path.GetFullPath(Path.Combine(dir, value));
        if (File.Exists(full)) return full;
        var fix = Directory.Exists(full) ? "the path is a folder; give a WAV file"
            : value.Contains('\\') ? "use '/' as the path separator"
            : $"check the path; relative paths resolve against the manifest's folder {dir}";
        problems.Add(DataProblem.Error(file, line, field, $"file not found: {full}", fix));
        return null;
    }

    static string? OptionalString(string file, int line, JsonElement root, string field, List<DataProblem> problems)
    {
        if (!root.TryGetProperty(field, out var el) || el.ValueKind == JsonValueKind.Null) return null;
        if (el.ValueKind == JsonValueKind.String) return el.GetString();
        problems.Add(DataProblem.Error(file, line, field, $"expected a string, got {Kind(el)}",
            $"quote the value: \"{field}\": \"{el.GetRawText().Trim('"')}\""));
        return null;
    }

    static int[]? Tokens(string file, int line, JsonElement root, string field, List<DataProblem> problems)
    {
        if (!root.TryGetProperty(field, out var el) || el.ValueKind == JsonValueKind.Null) return null;
        const string layout = "mixed-stream tokens are groups of 5: two vq02 codes (0..1023) then three vq06 codes " +
                              "(1024 + code, 1024..5119), as Step-Audio's wav2token output minus 65536";
        if (el.ValueKind != JsonValueKind.Array)
        {
            problems.Add(DataProblem.Error(file, line, field, $"expected a list of integers, got {Kind(el)}", layout));
            return null;
        }
        var tokens = new int[el.GetArrayLength()];
        if (tokens.Length == 0)
        {
            problems.Add(DataProblem.Error(file, line, field, "the token list is empty",
                "remove the field to tokenize the audio here, or give its tokens"));
            return null;
        }
        int i = 0;
        foreach (var t in el.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt64(out var v))
            {
                problems.Add(DataProblem.Error(file, line, field,
                    $"element {i} is {(t.ValueKind == JsonValueKind.Number ? t.GetRawText() : Kind(t))}, not an integer",
                    "token lists hold integers only"));
                return null;
            }
            if (v < 0 || v >= MixedTokenCount)
            {
                bool llmId = v >= LlmAudioOffset && v < LlmAudioOffset + MixedTokenCount;
                problems.Add(DataProblem.Error(file, line, field,
                    $"element {i} = {v} is out of range 0..{MixedTokenCount - 1}",
                    llmId ? "these look like LLM ids (<audio_N> = 65536 + N); subtract 65536" : layout));
                return null;
            }
            bool vq02Slot = i % 5 < 2;
            if (vq02Slot != v < Vq02Count)
            {
                problems.Add(DataProblem.Error(file, line, field,
                    $"element {i} = {v} is a {(v < Vq02Count ? "vq02" : "vq06")} code where a " +
                    $"{(vq02Slot ? "vq02" : "vq06")} code belongs", layout));
                return null;
            }
            tokens[i++] = (int)v;
        }
        if (tokens.Length % 5 != 0)
            problems.Add(DataProblem.Warning(file, line, field,
                $"{tokens.Length} tokens is not a whole number of 5-token groups; the last {tokens.Length % 5} are dropped",
                layout));
        return tokens;
    }

    /// <summary>Longest embedding accepted (CAM++ gives 192; anything far longer is not a speaker embedding).</summary>
    public const int MaxEmbeddingSize = 4096;

    static float[]? Embedding(string file, int line, JsonElement root, string field, List<DataProblem> problems)
    {
        if (!root.TryGetProperty(field, out var el) || el.ValueKind == JsonValueKind.Null) return null;
        const string what = "a speaker embedding is a list of finite numbers, the target clip's speaker-encoder output " +
                            "(192 for CAM++, campplus.onnx); remove the field to compute it here";
        if (el.ValueKind != JsonValueKind.Array)
        {
            problems.Add(DataProblem.Error(file, line, field, $"expected a list of numbers, got {Kind(el)}", what));
            return null;
        }
        int n = el.GetArrayLength();
        if (n is 0 or > MaxEmbeddingSize)
        {
            problems.Add(DataProblem.Error(file, line, field, n == 0 ? "the list is empty" : $"{n} values is not a speaker embedding", what));
            return null;
        }
        var values = new float[n];
        int i = 0;
        foreach (var v in el.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !float.IsFinite((float)d))
            {
                problems.Add(DataProblem.Error(file, line, field,
                    $"element {i} is {(v.ValueKind == JsonValueKind.Number ? v.GetRawText() : Kind(v))}, not a finite number", what));
                return null;
            }
            values[i++] = (float)d;
        }
        return values;
    }

    static string Kind(JsonElement el) => el.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    static string? Suggest(string name)
    {
        var lower = name.ToLowerInvariant().Replace('-', '_');
        return KnownFields.Select(k => (k, d: Distance(lower, k))).Where(x => x.d <= 3).OrderBy(x => x.d)
            .Select(x => x.k).FirstOrDefault();
    }

    static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}

/// <summary>What <see cref="ManifestReader.Parse"/> found: the records that parsed and every problem on the way.</summary>
public sealed record ManifestParseResult(string ManifestPath, IReadOnlyList<ManifestRecord> Records,
    IReadOnlyList<DataProblem> Problems)
{
    /// <summary>Whether any problem is an error.</summary>
    public bool HasErrors => Problems.Any(p => p.IsError);
}
