using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Checkpoints;

/// <summary>One tensor's entry in a safetensors header.</summary>
public sealed record SafetensorsEntry(string Key, string DType, long[] Shape, long Begin, long End);

/// <summary>
/// Reads and writes the safetensors format (8-byte little-endian header length, JSON header, raw little-endian data)
/// one tensor at a time, so a multi-gigabyte checkpoint is never held twice in memory. Hugging Face and PEFT expect
/// <c>{"format":"pt"}</c> metadata, which <see cref="Save"/> writes (TorchSharp.PyBridge's writer omits it).
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    readonly FileStream stream;
    readonly long dataStart;

    /// <summary>The file this was opened from.</summary>
    public string Path { get; }
    /// <summary>Tensor entries by key, in header order.</summary>
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }
    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    SafetensorsFile(string path, FileStream stream, long dataStart, Dictionary<string, SafetensorsEntry> entries,
        Dictionary<string, string> metadata)
    {
        Path = path; this.stream = stream; this.dataStart = dataStart; Entries = entries; Metadata = metadata;
    }

    /// <summary>
    /// Opens a safetensors file and parses its header; tensor data is read on demand. A file that is not a valid
    /// safetensors file (truncated, empty, garbage, negative or overflowing shapes, a tensor named twice, tensors
    /// sharing bytes) is an <see cref="InputException"/> naming it.
    /// </summary>
    public static SafetensorsFile Open(string path)
    {
        FileStream stream;
        try { stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, null, "cannot open the safetensors file: " + e.Message, "check the path");
        }
        try
        {
            Span<byte> len = stackalloc byte[8];
            if (stream.Read(len) != 8) throw Bad(path, "file is shorter than the 8-byte header length");
            long headerLen = BitConverter.ToInt64(len);
            if (headerLen <= 0 || headerLen > 100_000_000 || 8 + headerLen > stream.Length)
                throw Bad(path, $"header length {headerLen} does not fit a file of {stream.Length} bytes");
            var header = new byte[headerLen];
            stream.ReadExactly(header);
            long dataLen = stream.Length - 8 - headerLen;
            var (entries, metadata) = ParseHeader(header, dataLen, path);
            return new SafetensorsFile(path, stream, 8 + headerLen, entries, metadata);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    static (Dictionary<string, SafetensorsEntry>, Dictionary<string, string>) ParseHeader(byte[] header, long dataLen, string path)
    {
        var entries = new Dictionary<string, SafetensorsEntry>();
        var metadata = new Dictionary<string, string>();
        try
        {
            using var doc = JsonDocument.Parse(header);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad(path, "header is not a JSON object");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    foreach (var m in p.Value.EnumerateObject()) metadata[m.Name] = m.Value.ToString();
                    continue;
                }
                if (entries.ContainsKey(p.Name)) throw Bad(path, $"tensor '{p.Name}' is named twice in the header");
                var shape = p.Value.GetProperty("shape").EnumerateArray().Select(n => n.GetInt64()).ToArray();
                if (shape.Any(d => d < 0)) throw Bad(path, $"tensor '{p.Name}' has a negative dimension [{string.Join(", ", shape)}]");
                var offsets = p.Value.GetProperty("data_offsets").EnumerateArray().Select(n => n.GetInt64()).ToArray();
                if (offsets.Length != 2) throw Bad(path, $"tensor '{p.Name}' needs two data_offsets");
                var entry = new SafetensorsEntry(p.Name, p.Value.GetProperty("dtype").GetString() ?? "", shape, offsets[0], offsets[1]);
                long expected = checked(shape.Aggregate(1L, (a, b) => a * b) * ElementSize(entry.DType, path));
                if (entry.End - entry.Begin != expected || entry.End > dataLen || entry.Begin < 0)
                    throw Bad(path, $"tensor '{p.Name}' has data_offsets [{entry.Begin}, {entry.End}] that do not match " +
                                    $"its {entry.DType} shape [{string.Join(", ", shape)}] or the file size");
                entries[p.Name] = entry;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException
                                      or FormatException or OverflowException or ArgumentException)
        {
            throw Bad(path, "header is not valid safetensors JSON: " + e.Message);
        }
        SafetensorsEntry? previous = null;
        foreach (var e in entries.Values.Where(e => e.End > e.Begin).OrderBy(e => e.Begin))
        {
            if (previous is not null && e.Begin < previous.End)
                throw Bad(path, $"tensors '{previous.Key}' and '{e.Key}' share bytes [{e.Begin}, {Math.Min(e.End, previous.End)})");
            previous = e;
        }
        return (entries, metadata);
    }

    /// <summary>Reads one tensor (CPU), optionally converted to <paramref name="dtype"/>.</summary>
    public Tensor Read(string key, ScalarType? dtype = null)
    {
        if (!Entries.TryGetValue(key, out var e))
            throw new KeyNotFoundException($"{Path}: no tensor named '{key}'");
        var stored = ToScalarType(e.DType, Path);
        var t = empty(e.Shape, stored);
        stream.Position = dataStart + e.Begin;
        if (e.End > e.Begin) stream.ReadExactly(t.bytes);
        if (dtype is { } d && d != stored)
        {
            var converted = t.to_type(d);
            t.Dispose();
            return converted;
        }
        return t;
    }

    /// <summary>Reads every tensor into a dictionary (for small files such as fixtures and adapters).</summary>
    public static Dictionary<string, Tensor> LoadAll(string path, ScalarType? dtype = null)
    {
        using var f = Open(path);
        return f.Entries.Keys.ToDictionary(k => k, k => f.Read(k, dtype));
    }

    /// <summary>
    /// Writes tensors (sorted by key, header padded to 8 bytes) with <c>{"format":"pt"}</c> plus any extra metadata.
    /// Writes to a temporary file and renames it, so an existing file is never left half-written.
    /// </summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var byKey = tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        SaveStreaming(path, byKey.Select(kv => (kv.Key, kv.Value.dtype, kv.Value.shape)).ToList(), key => byKey[key], metadata);
    }

    /// <summary>
    /// Writes the tensors <paramref name="entries"/> describe, asking <paramref name="produce"/> for each one only when
    /// its bytes are due (in key order) and disposing it right after, so a shard larger than memory can be written
    /// with one tensor alive at a time. A produced tensor whose dtype or shape differs from its entry is an error.
    /// </summary>
    public static void SaveStreaming(string path, IReadOnlyList<(string Key, ScalarType DType, long[] Shape)> entries,
        Func<string, Tensor> produce, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(produce);
        var list = entries.OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        var meta = new JsonObject { ["format"] = "pt" };
        if (metadata != null) foreach (var (k, v) in metadata) meta[k] = v;
        header["__metadata__"] = meta;
        long offset = 0;
        foreach (var (key, dtype, shape) in list)
        {
            long size = shape.Aggregate(1L, (a, b) => a * b) * ElementSize(ToName(dtype));
            header[key] = new JsonObject
            {
                ["dtype"] = ToName(dtype),
                ["shape"] = new JsonArray(shape.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        AtomicFile.Write(path, tmp =>
        {
            using var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            fs.Write(BitConverter.GetBytes((long)padded));
            fs.Write(json);
            for (int i = json.Length; i < padded; i++) fs.WriteByte((byte)' ');
            foreach (var (key, dtype, shape) in list)
            {
                // detach()/cpu()/contiguous() each make a tensor handle; the scope frees them, whoever calls this.
                using var scope = NewDisposeScope();
                var c = produce(key).detach().cpu().contiguous();
                if (c.dtype != dtype || !c.shape.SequenceEqual(shape))
                    throw new InvalidOperationException($"{key}: produced {c.dtype} [{string.Join(", ", c.shape)}], " +
                        $"the header says {dtype} [{string.Join(", ", shape)}]");
                if (c.numel() > 0) fs.Write(c.bytes);
            }
        });
    }

    /// <summary>Bytes per element of a safetensors dtype name.</summary>
    public static int ElementSize(string dtype, string path = "") => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" => 1,
        _ => throw Bad(path, $"unsupported dtype '{dtype}'"),
    };

    /// <summary>The TorchSharp type of a safetensors dtype name.</summary>
    public static ScalarType ToScalarType(string dtype, string path = "") => dtype switch
    {
        "F64" => ScalarType.Float64, "F32" => ScalarType.Float32, "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16, "I64" => ScalarType.Int64, "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16, "I8" => ScalarType.Int8, "U8" => ScalarType.Byte, "BOOL" => ScalarType.Bool,
        _ => throw Bad(path, $"unsupported dtype '{dtype}'"),
    };

    /// <summary>The safetensors dtype name of a TorchSharp type.</summary>
    public static string ToName(ScalarType t) => t switch
    {
        ScalarType.Float64 => "F64", ScalarType.Float32 => "F32", ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16", ScalarType.Int64 => "I64", ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16", ScalarType.Int8 => "I8", ScalarType.Byte => "U8", ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"safetensors cannot store {t}"),
    };

    static InputException Bad(string path, string what) =>
        new(path, null, null, what, "the file is not a valid safetensors file; re-download or re-save it");

    /// <inheritdoc />
    public void Dispose() => stream.Dispose();
}
