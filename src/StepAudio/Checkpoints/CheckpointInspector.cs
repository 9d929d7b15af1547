using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Numerics;
using System.Text;
using System.Text.Json;

namespace StepAudio.Checkpoints;

/// <summary>One tensor of an inspected checkpoint. <see cref="DType"/> uses safetensors names (F32, BF16, I64, …).</summary>
public sealed record CheckpointEntry(string Key, string DType, long[] Shape, long Numel, long Bytes)
{
    /// <summary>The shape as <c>[a, b]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
}

/// <summary>
/// What <see cref="CheckpointInspector.Inspect"/> found: the format (<c>pytorch-zip</c>, <c>safetensors</c>,
/// <c>peft-folder</c>, <c>hf-folder</c>), every tensor in file order, and the non-tensor values (for a <c>.pt</c> the
/// entries such as <c>epoch</c> under their dotted keys; for safetensors the <c>__metadata__</c> map).
/// </summary>
public sealed record CheckpointInfo(string Path, string Format, IReadOnlyList<CheckpointEntry> Entries,
    IReadOnlyDictionary<string, string> Metadata, long FileBytes)
{
    /// <summary>The globals a pickle referred to (all on the allow-list); empty for safetensors.</summary>
    public IReadOnlyList<string> PickleGlobals { get; init; } = Array.Empty<string>();

    /// <summary>Elements in all tensors.</summary>
    public long TotalParameters => Entries.Sum(e => e.Numel);

    /// <summary>Bytes of all tensors (as stored; tied or shared tensors count once per key).</summary>
    public long TotalBytes => Entries.Sum(e => e.Bytes);

    /// <summary>A readable report: a summary line, a key / dtype / shape table, then the metadata.</summary>
    public string ToText()
    {
        var ic = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(ic, $"{Path}\nformat: {Format}, {FileBytes:N0} bytes on disk\n");
        if (PickleGlobals.Count > 0)
            sb.Append("pickle globals (all on the allow-list): ").Append(string.Join(", ", PickleGlobals)).Append('\n');
        sb.Append(ic, $"{Entries.Count:N0} tensors, {TotalParameters:N0} parameters, {TotalBytes:N0} bytes ({HumanBytes(TotalBytes)})\n");
        if (Entries.Count > 0)
        {
            int keyWidth = Math.Max(3, Entries.Max(e => e.Key.Length));
            int dtypeWidth = Math.Max(5, Entries.Max(e => e.DType.Length));
            sb.Append('\n').Append("key".PadRight(keyWidth)).Append("  ").Append("dtype".PadRight(dtypeWidth)).Append("  shape\n");
            foreach (var e in Entries)
                sb.Append(e.Key.PadRight(keyWidth)).Append("  ").Append(e.DType.PadRight(dtypeWidth)).Append("  ").Append(e.ShapeText).Append('\n');
        }
        if (Metadata.Count > 0)
        {
            sb.Append("\nmetadata:\n");
            foreach (var (k, v) in Metadata) sb.Append("  ").Append(k).Append(": ").Append(v).Append('\n');
        }
        return sb.ToString();
    }

    static string HumanBytes(long bytes)
    {
        string[] units = { "B", "KiB", "MiB", "GiB", "TiB" };
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return u == 0 ? $"{bytes} B" : v.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[u];
    }
}

/// <summary>
/// Reads what a checkpoint holds — tensor keys, dtypes, shapes, metadata — without loading tensor data and without
/// running anything the file asks for. PyTorch zip checkpoints (<c>torch.save</c>) have their pickle opcode stream
/// scanned first: any global outside the allow-list of plain tensor/dict checkpoints (<c>os.system</c>,
/// <c>builtins.eval</c>, …) is refused before a single object is built, and the pickle is then evaluated by a small
/// interpreter that knows only dicts, lists, scalars, storages and tensors. Every problem is an
/// <see cref="InputException"/> naming the file.
/// </summary>
public static class CheckpointInspector
{
    /// <summary>Largest <c>data.pkl</c> read (a 3B-parameter state dict's pickle is about 100 KB).</summary>
    public const long MaxPickleBytes = 64L << 20;

    /// <summary>
    /// Inspects a <c>.pt</c>/<c>.pth</c>/<c>.bin</c> (PyTorch zip), a <c>.safetensors</c> file, a PEFT adapter folder
    /// (<c>adapter_model.safetensors</c> + <c>adapter_config.json</c>) or a Hugging Face model folder (index + shards,
    /// or <c>model.safetensors</c>). The format is decided by content, not by the file name.
    /// </summary>
    public static CheckpointInfo Inspect(string path)
    {
        try
        {
            if (Directory.Exists(path)) return InspectFolder(path);
            if (!File.Exists(path))
                throw new InputException(path, null, null, "checkpoint not found",
                    "check the path: a .pt/.pth/.bin written by torch.save, a .safetensors file, or a model/adapter folder");
            return InspectFile(path);
        }
        catch (InputException)
        {
            throw;
        }
        catch (Exception e)
        {
            // Nothing else escapes: an unreadable file is the user's to fix, and a stack trace helps nobody.
            throw new InputException(path, null, null,
                $"cannot be inspected ({e.GetType().Name}: {OneLine(e.Message)})",
                "the file is damaged or not a checkpoint; re-save or re-download it", e);
        }
    }

    static CheckpointInfo InspectFile(string path)
    {
        long length = new FileInfo(path).Length;
        if (length == 0)
            throw new InputException(path, null, null, "is empty (0 bytes)", "the save was interrupted or the download failed; re-save or re-download it");
        var head = new byte[Math.Min(16, length)];
        using (var f = File.OpenRead(path)) f.ReadExactly(head);
        if (head.Length >= 4 && head[0] == 'P' && head[1] == 'K' && (head[2] == 3 || head[2] == 5))
            return TorchZip.Inspect(path, length);
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || head.Length > 8 && head[8] == '{')
            return InspectSafetensors(path, length);
        if (head[0] == 0x80)
            throw new InputException(path, null, null,
                "is a bare pickle (the legacy pre-1.6 torch.save format), which cannot be checked safely and is not read",
                "re-save it with torch >= 1.6 (torch.save(torch.load(p, weights_only=True), p)), or convert it to safetensors");
        throw new InputException(path, null, null, "is not a checkpoint: neither a PyTorch zip (torch.save) nor a safetensors file",
            "pass a .pt/.pth/.bin written by torch.save, a .safetensors file, or a model/adapter folder");
    }

    static CheckpointInfo InspectSafetensors(string path, long length)
    {
        using var file = SafetensorsFile.Open(path);
        return new CheckpointInfo(path, "safetensors", Entries(file.Entries.Values),
            new Dictionary<string, string>(file.Metadata), length);
    }

    static List<CheckpointEntry> Entries(IEnumerable<SafetensorsEntry> entries) =>
        entries.Select(e => new CheckpointEntry(e.Key, e.DType, e.Shape, e.Shape.Aggregate(1L, (a, b) => checked(a * b)), e.End - e.Begin)).ToList();

    static CheckpointInfo InspectFolder(string folder)
    {
        var adapterWeights = Path.Combine(folder, PeftAdapter.WeightsName);
        var adapterConfig = Path.Combine(folder, PeftAdapter.ConfigName);
        if (File.Exists(adapterWeights) || File.Exists(adapterConfig))
        {
            var metadata = new Dictionary<string, string>();
            if (File.Exists(adapterConfig)) AddJsonFields(adapterConfig, "adapter_config.", metadata);
            CheckpointInfo weights;
            if (File.Exists(adapterWeights)) weights = InspectFile(adapterWeights);
            else if (File.Exists(Path.Combine(folder, "adapter_model.bin"))) weights = InspectFile(Path.Combine(folder, "adapter_model.bin"));
            else
                throw new InputException(adapterWeights, null, null, "adapter weights not found (adapter_config.json is here)",
                    "copy adapter_model.safetensors next to adapter_config.json");
            foreach (var (k, v) in weights.Metadata) metadata.TryAdd(k, v);
            return new CheckpointInfo(folder, "peft-folder", weights.Entries, metadata, weights.FileBytes + FileSize(adapterConfig))
                { PickleGlobals = weights.PickleGlobals };
        }
        if (File.Exists(Path.Combine(folder, HfCheckpointFiles.IndexName)) || File.Exists(Path.Combine(folder, HfCheckpointFiles.SingleName)))
        {
            using var files = HfCheckpointFiles.Open(folder);
            var shards = files.KeyToFile.Values.Distinct().ToList();
            var metadata = new Dictionary<string, string> { ["shards"] = shards.Count.ToString(CultureInfo.InvariantCulture) };
            foreach (var (k, v) in shards.FirstOrDefault()?.Metadata ?? new Dictionary<string, string>()) metadata.TryAdd(k, v);
            var config = Path.Combine(folder, "config.json");
            if (File.Exists(config)) AddJsonFields(config, "config.", metadata);
            var entries = Entries(files.KeyToFile.Select(kv => kv.Value.Entries[kv.Key]));
            return new CheckpointInfo(folder, "hf-folder", entries, metadata,
                shards.Sum(s => FileSize(s.Path)) + FileSize(Path.Combine(folder, HfCheckpointFiles.IndexName)));
        }
        var bin = Path.Combine(folder, "pytorch_model.bin");
        if (File.Exists(bin))
            return InspectFile(bin) with { Path = folder, Format = "hf-folder" };
        throw new InputException(folder, null, null,
            $"holds no checkpoint: none of {PeftAdapter.WeightsName}, {PeftAdapter.ConfigName}, {HfCheckpointFiles.IndexName}, " +
            $"{HfCheckpointFiles.SingleName}, pytorch_model.bin is here",
            "point to a checkpoint file (.pt, .safetensors) or to a PEFT adapter or Hugging Face model folder");
    }

    static long FileSize(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>The top-level fields of a JSON object file as compact text, under <paramref name="prefix"/>.</summary>
    static void AddJsonFields(string path, string prefix, Dictionary<string, string> metadata)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e)
        {
            throw new InputException(path, (int?)e.LineNumber + 1, null, "not valid JSON: " + OneLine(e.Message), "re-save or re-download it", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InputException(path, null, null, "is not a JSON object", "re-save or re-download it");
            foreach (var p in doc.RootElement.EnumerateObject())
                metadata[prefix + p.Name] = Truncate(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText());
        }
    }

    internal static string OneLine(string s) => s.ReplaceLineEndings(" ");

    internal static string Truncate(string s, int max = 200) => OneLine(s.Length <= max ? s : s[..max] + "…");

    /// <summary>PyTorch zip checkpoints: <c>NAME/data.pkl</c> plus one <c>NAME/data/KEY</c> entry per storage.</summary>
    static class TorchZip
    {
        public static CheckpointInfo Inspect(string path, long length)
        {
            using var stream = File.OpenRead(path);
            ZipArchive zip;
            try { zip = new ZipArchive(stream, ZipArchiveMode.Read); }
            catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
            {
                throw new InputException(path, null, null, $"is a damaged zip archive ({OneLine(e.Message)}); it is probably truncated",
                    "the save was interrupted or the download is incomplete; re-save or re-download it", e);
            }
            using (zip)
            {
                var pickles = zip.Entries.Where(e => e.Name == "data.pkl" && e.FullName.Count(c => c == '/') == 1).ToList();
                if (pickles.Count != 1)
                    throw new InputException(path, null, null,
                        pickles.Count == 0 ? "is a zip archive but not a PyTorch checkpoint: it has no <name>/data.pkl"
                            : $"holds {pickles.Count} data.pkl records; a PyTorch checkpoint has one",
                        "inspect a file written by torch.save (torch >= 1.6) or by this toolkit");
                var pklEntry = pickles[0];
                var prefix = pklEntry.FullName[..^"data.pkl".Length];
                if (pklEntry.Length > MaxPickleBytes)
                    throw new InputException(path, null, pklEntry.FullName,
                        $"claims {pklEntry.Length:N0} bytes, more than the {MaxPickleBytes >> 20} MB a checkpoint's pickle needs",
                        "the file is corrupt or not a tensor checkpoint");
                byte[] pickle;
                try
                {
                    using var s = pklEntry.Open();
                    using var ms = new MemoryStream((int)pklEntry.Length);
                    var buffer = new byte[1 << 16];
                    for (int n; (n = s.Read(buffer)) > 0;)
                    {
                        if (ms.Length + n > MaxPickleBytes)
                            throw new InputException(path, null, pklEntry.FullName,
                                $"inflates past the {MaxPickleBytes >> 20} MB a checkpoint's pickle needs", "the file is corrupt or not a tensor checkpoint");
                        ms.Write(buffer, 0, n);
                    }
                    pickle = ms.ToArray();
                }
                catch (Exception e) when (e is InvalidDataException or IOException)
                {
                    throw new InputException(path, null, pklEntry.FullName, $"cannot be read ({OneLine(e.Message)})",
                        "the file is damaged; re-save or re-download it", e);
                }
                var globals = PickleScan.Check(pickle, path, pklEntry.FullName);
                var root = new SafeUnpickler(pickle, path, pklEntry.FullName).Load();
                var storages = new Dictionary<string, long>();
                foreach (var e in zip.Entries.Where(e => e.FullName.StartsWith(prefix + "data/", StringComparison.Ordinal)))
                    storages.TryAdd(e.FullName[(prefix.Length + "data/".Length)..], e.Length);
                var flattener = new Flattener(path, prefix, storages);
                flattener.Walk(root, "", 0);
                return new CheckpointInfo(path, "pytorch-zip", flattener.Entries, flattener.Metadata, length) { PickleGlobals = globals };
            }
        }
    }

    /// <summary>Turns the unpickled graph into dotted-key tensor entries and metadata, checking every storage.</summary>
    sealed class Flattener(string path, string prefix, Dictionary<string, long> storages)
    {
        const int MaxDepth = 100;
        const long MaxVisits = 5_000_000;
        long visits;

        public List<CheckpointEntry> Entries { get; } = new();
        public Dictionary<string, string> Metadata { get; } = new();

        public void Walk(object? value, string key, int depth)
        {
            if (++visits > MaxVisits || depth > MaxDepth)
                throw new InputException(path, null, key.Length == 0 ? null : key,
                    "the pickle nests deeper than 100 levels, refers to itself, or repeats one object millions of times",
                    "this is not a plain checkpoint; re-save the state dict with torch.save");
            switch (value)
            {
                case PyTensor t:
                    Entries.Add(Entry(t, key.Length == 0 ? "(root)" : key));
                    break;
                case PyDict d:
                    foreach (var (k, v) in d.Items) Walk(v, Join(key, Repr(k, raw: true)), depth + 1);
                    if (d.Items.Count == 0 && key.Length > 0) Metadata[key] = "{}";
                    break;
                case PySequence s when ContainsTensor(s, depth):
                    for (int i = 0; i < s.Items.Count; i++) Walk(s.Items[i], Join(key, i.ToString(CultureInfo.InvariantCulture)), depth + 1);
                    break;
                default:
                    Metadata[key.Length == 0 ? "(root)" : key] = Repr(value, raw: true);
                    break;
            }
        }

        bool ContainsTensor(object? value, int depth)
        {
            if (++visits > MaxVisits || depth > MaxDepth)
                throw new InputException(path, null, null,
                    "the pickle nests deeper than 100 levels, refers to itself, or repeats one object millions of times",
                    "this is not a plain checkpoint; re-save the state dict with torch.save");
            return value switch
            {
                PyTensor => true,
                PyDict d => d.Items.Any(kv => ContainsTensor(kv.Value, depth + 1)),
                PySequence s => s.Items.Any(v => ContainsTensor(v, depth + 1)),
                _ => false,
            };
        }

        static string Join(string a, string b) => a.Length == 0 ? b : a + "." + b;

        CheckpointEntry Entry(PyTensor t, string key)
        {
            var s = t.Storage;
            var fix = "the checkpoint is damaged or was not written by torch.save; re-save or re-download it";
            if (!storages.TryGetValue(s.Key, out long have))
                throw new InputException(path, null, key, $"its storage {prefix}data/{s.Key} is missing from the archive", fix);
            long need;
            try { need = checked(s.Numel * s.ElementSize); }
            catch (OverflowException) { throw new InputException(path, null, key, $"its storage claims {s.Numel} elements", fix); }
            if (s.Numel < 0 || have < need)
                throw new InputException(path, null, key,
                    $"its storage {prefix}data/{s.Key} holds {have:N0} bytes, the pickle says {s.Numel:N0} {s.DType} elements ({need:N0} bytes)", fix);
            if (t.Shape.Length != t.Stride.Length || t.Shape.Any(d => d < 0) || t.Stride.Any(d => d < 0) || t.Offset < 0)
                throw new InputException(path, null, key,
                    $"has an impossible layout (shape [{string.Join(", ", t.Shape)}], stride [{string.Join(", ", t.Stride)}], offset {t.Offset})", fix);
            long numel, last;
            try
            {
                numel = t.Shape.Aggregate(1L, (a, b) => checked(a * b));
                last = t.Offset;
                for (int i = 0; i < t.Shape.Length; i++) last = checked(last + Math.Max(0, t.Shape[i] - 1) * t.Stride[i]);
            }
            catch (OverflowException)
            {
                throw new InputException(path, null, key, $"has a shape [{string.Join(", ", t.Shape)}] too large to exist", fix);
            }
            if (numel > 0 && last >= s.Numel)
                throw new InputException(path, null, key,
                    $"reaches element {last:N0} of storage {prefix}data/{s.Key}, which holds {s.Numel:N0}", fix);
            return new CheckpointEntry(key, s.DType, t.Shape, numel, numel * s.ElementSize);
        }
    }

    /// <summary>Python-like text of a pickled value, cut at about 200 characters (strings unquoted at the top when <paramref name="raw"/>).</summary>
    static string Repr(object? value, bool raw = false)
    {
        var sb = new StringBuilder();
        Append(sb, value, raw, 0);
        return Truncate(sb.ToString());
    }

    static void Append(StringBuilder sb, object? value, bool raw, int depth)
    {
        const int Budget = 220;
        if (sb.Length > Budget) return;
        if (depth > 8)
        {
            sb.Append('…');
            return;
        }
        switch (value)
        {
            case null: sb.Append("None"); break;
            case bool b: sb.Append(b ? "True" : "False"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case BigInteger i: sb.Append(i.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(d.ToString("R", CultureInfo.InvariantCulture)); break;
            case string s: sb.Append(raw ? s : "'" + (s.Length > Budget ? s[..Budget] : s) + "'"); break;
            case byte[] bytes: sb.Append(CultureInfo.InvariantCulture, $"<{bytes.Length} bytes>"); break;
            case PyGlobal g: sb.Append(g); break;
            case PyStorage st: sb.Append(CultureInfo.InvariantCulture, $"<storage {st.DType} x {st.Numel}>"); break;
            case PyTensor t: sb.Append(CultureInfo.InvariantCulture, $"<tensor {t.Storage.DType} [{string.Join(", ", t.Shape)}]>"); break;
            case PyDict d:
                sb.Append('{');
                for (int i = 0; i < d.Items.Count && sb.Length <= Budget; i++)
                {
                    if (i > 0) sb.Append(", ");
                    Append(sb, d.Items[i].Key, false, depth + 1);
                    sb.Append(": ");
                    Append(sb, d.Items[i].Value, false, depth + 1);
                }
                sb.Append('}');
                break;
            case PySequence q:
                sb.Append(q.Kind == '(' ? '(' : q.Kind == '{' ? '{' : '[');
                for (int i = 0; i < q.Items.Count && sb.Length <= Budget; i++)
                {
                    if (i > 0) sb.Append(", ");
                    Append(sb, q.Items[i], false, depth + 1);
                }
                sb.Append(q.Kind == '(' ? (q.Items.Count == 1 ? ",)" : ")") : q.Kind == '{' ? "}" : "]");
                break;
            default: sb.Append(value.GetType().Name); break;
        }
    }

    // ---- pickle values -------------------------------------------------------------------------------------------

    sealed record PyGlobal(string Module, string Name)
    {
        public override string ToString() => Module + "." + Name;
    }

    /// <summary>A list (<c>[</c>), tuple (<c>(</c>) or set (<c>{</c>).</summary>
    sealed class PySequence(char kind, List<object?> items)
    {
        public char Kind { get; } = kind;
        public List<object?> Items { get; } = items;
    }

    sealed class PyDict
    {
        readonly Dictionary<object, int> index = new();
        public List<KeyValuePair<object?, object?>> Items { get; } = new();

        public void Set(object? key, object? value)
        {
            var k = key switch { null => NoneKey, PySequence or PyDict => new object(), _ => key };
            if (index.TryGetValue(k, out int i)) Items[i] = new(key, value);
            else
            {
                index[k] = Items.Count;
                Items.Add(new(key, value));
            }
        }

        static readonly object NoneKey = new();
    }

    sealed record PyStorage(string DType, int ElementSize, string Key, string Location, long Numel);

    sealed record PyTensor(PyStorage Storage, long Offset, long[] Shape, long[] Stride);

    // ---- the allow-list --------------------------------------------------------------------------------------------

    /// <summary>Storage classes a torch.save of tensors names, with the safetensors dtype name and element size.</summary>
    static readonly Dictionary<string, (string DType, int Size)> StorageTypes = new()
    {
        ["torch.FloatStorage"] = ("F32", 4), ["torch.BFloat16Storage"] = ("BF16", 2), ["torch.HalfStorage"] = ("F16", 2),
        ["torch.DoubleStorage"] = ("F64", 8), ["torch.LongStorage"] = ("I64", 8), ["torch.IntStorage"] = ("I32", 4),
        ["torch.ShortStorage"] = ("I16", 2), ["torch.CharStorage"] = ("I8", 1), ["torch.ByteStorage"] = ("U8", 1),
        ["torch.BoolStorage"] = ("BOOL", 1),
        // TorchSharp.PyBridge's writer also names these; they are data types, not code.
        ["torch.ComplexFloatStorage"] = ("C64", 8), ["torch.ComplexDoubleStorage"] = ("C128", 16),
    };

    const string OrderedDict = "collections.OrderedDict";
    const string RebuildTensor = "torch._utils._rebuild_tensor_v2";
    const string RebuildParameter = "torch._utils._rebuild_parameter";

    /// <summary>Every global a pickle of tensors, dicts and scalars written by torch.save needs; nothing else is read.</summary>
    public static IReadOnlyCollection<string> AllowedGlobals { get; } =
        new HashSet<string>(StorageTypes.Keys) { OrderedDict, RebuildTensor, RebuildParameter };

    internal static InputException Refused(string path, string entry, string what) =>
        new(path, null, entry, $"this checkpoint asks to run code ({what}); only tensor checkpoints are read",
            "do not load this file anywhere (torch.load would run it); use a checkpoint saved as torch.save(model.state_dict(), p) " +
            "from a source you trust, or a .safetensors file");

    internal static InputException Malformed(string path, string entry, long position, string what) =>
        new(path, null, entry, $"is not a valid pickle at byte {position}: {what}",
            "the checkpoint is damaged; re-save or re-download it");

    // ---- the opcode walker -----------------------------------------------------------------------------------------

    /// <summary>One pickle opcode with its decoded inline argument.</summary>
    readonly record struct PickleOp(byte Code, int Position, object? Arg);

    /// <summary>Decodes the opcode stream of protocols 0–5 with bounds checks; builds nothing.</summary>
    sealed class OpReader(byte[] data, string path, string entry)
    {
        int pos, at;
        byte code;

        /// <summary>The next opcode; a stream that ends before STOP is malformed.</summary>
        public PickleOp Next()
        {
            if (pos >= data.Length) throw Malformed(path, entry, pos, "the pickle ends without a STOP opcode (truncated)");
            at = pos;
            code = data[pos++];
            object? arg = null;
            switch (code)
            {
                // no argument
                case (byte)'(' or (byte)'.' or (byte)'0' or (byte)'1' or (byte)'2' or (byte)'N' or (byte)'Q' or (byte)'R'
                    or (byte)'a' or (byte)'b' or (byte)'d' or (byte)'}' or (byte)'e' or (byte)'l' or (byte)']' or (byte)'o'
                    or (byte)'s' or (byte)'t' or (byte)')' or (byte)'u' or 0x81 or 0x85 or 0x86 or 0x87 or 0x88 or 0x89
                    or 0x8f or 0x90 or 0x91 or 0x92 or 0x93 or 0x94 or 0x97 or 0x98:
                    break;
                case 0x80 or (byte)'K' or (byte)'h' or (byte)'q' or 0x82: arg = (long)Take(1)[0]; break;
                case (byte)'M' or 0x83: arg = (long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2)); break;
                case (byte)'J': arg = (long)BinaryPrimitives.ReadInt32LittleEndian(Take(4)); break;
                case (byte)'j' or (byte)'r' or 0x84: arg = (long)BinaryPrimitives.ReadUInt32LittleEndian(Take(4)); break;
                case (byte)'G': arg = BinaryPrimitives.ReadDoubleBigEndian(Take(8)); break;
                case 0x95: Take(8); break; // FRAME: a length hint only
                case 0x8a: arg = Long(Take(Take(1)[0])); break;
                case 0x8b: arg = Long(Take(BinaryPrimitives.ReadInt32LittleEndian(Take(4)))); break;
                case (byte)'X': arg = Encoding.UTF8.GetString(Take(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                case 0x8c: arg = Encoding.UTF8.GetString(Take(Take(1)[0])); break;
                case 0x8d: arg = Encoding.UTF8.GetString(Take(BinaryPrimitives.ReadInt64LittleEndian(Take(8)))); break;
                case (byte)'T': arg = Encoding.Latin1.GetString(Take(BinaryPrimitives.ReadInt32LittleEndian(Take(4)))); break;
                case (byte)'U': arg = Encoding.Latin1.GetString(Take(Take(1)[0])); break;
                case (byte)'B': arg = Take(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))).ToArray(); break;
                case (byte)'C': arg = Take(Take(1)[0]).ToArray(); break;
                case 0x8e or 0x96: arg = Take(BinaryPrimitives.ReadInt64LittleEndian(Take(8))).ToArray(); break;
                case (byte)'c' or (byte)'i': arg = new PyGlobal(Line(), Line()); break;
                case (byte)'g' or (byte)'p': arg = ParseLong(Line()); break;
                case (byte)'I':
                {
                    var l = Line();
                    arg = l == "00" ? false : l == "01" ? true : ParseLong(l);
                    break;
                }
                case (byte)'L': arg = ParseLong(Line().TrimEnd('L')); break;
                case (byte)'F':
                {
                    var l = Line();
                    arg = double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
                        : throw Malformed(path, entry, at, $"FLOAT '{Truncate(l, 40)}' is not a number");
                    break;
                }
                case (byte)'S': arg = Unquote(Line()); break;
                case (byte)'V' or (byte)'P': arg = Line(); break;
                default: throw Malformed(path, entry, at, $"unknown opcode 0x{code:x2}");
            }
            return new PickleOp(code, at, arg);
        }

        ReadOnlySpan<byte> Take(long n)
        {
            if (n < 0 || n > data.Length - pos)
                throw Malformed(path, entry, at, $"opcode 0x{code:x2} needs {n} more bytes, {data.Length - pos} are left (truncated)");
            var span = new ReadOnlySpan<byte>(data, pos, (int)n);
            pos += (int)n;
            return span;
        }

        string Line()
        {
            int end = Array.IndexOf(data, (byte)'\n', pos);
            if (end < 0 || end - pos > 4096) throw Malformed(path, entry, at, $"opcode '{(char)code}' has no end of line");
            var s = Encoding.UTF8.GetString(data, pos, end - pos);
            pos = end + 1;
            return s;
        }

        object ParseLong(string s) =>
            long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v
            : BigInteger.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var b) ? b
            : throw Malformed(path, entry, at, $"'{Truncate(s, 40)}' is not an integer");

        static object Long(ReadOnlySpan<byte> bytes)
        {
            var v = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
            return v >= long.MinValue && v <= long.MaxValue ? (long)v : v;
        }

        static string Unquote(string s) => s.Length >= 2 && (s[0] == '\'' || s[0] == '"') && s[^1] == s[0] ? s[1..^1] : s;
    }

    /// <summary>Every opcode up to and including STOP.</summary>
    static IEnumerable<PickleOp> Ops(byte[] data, string path, string entry)
    {
        var reader = new OpReader(data, path, entry);
        while (true)
        {
            var op = reader.Next();
            yield return op;
            if (op.Code == (byte)'.') yield break;
        }
    }

    /// <summary>
    /// The security scan, run before anything is built: every GLOBAL / INST / STACK_GLOBAL name must be on
    /// <see cref="AllowedGlobals"/>; STACK_GLOBAL names must be literal strings (directly or from the memo); opcodes
    /// that build arbitrary objects (INST, OBJ, NEWOBJ, NEWOBJ_EX), the extension registry and out-of-band buffers,
    /// none of which torch.save of tensors writes, are refused.
    /// </summary>
    static class PickleScan
    {
        public static IReadOnlyList<string> Check(byte[] pickle, string path, string entry)
        {
            var globals = new List<string>();
            var memo = new Dictionary<long, string>();
            var memoKeys = new HashSet<long>();
            // Known string values of the topmost stack items, pushed by the latest run of string pushes.
            var top = new List<string?>();
            foreach (var op in Ops(pickle, path, entry))
            {
                switch (op.Code)
                {
                    case (byte)'c':
                        Allow(((PyGlobal)op.Arg!).ToString());
                        top.Clear();
                        break;
                    case (byte)'i':
                        Allow(((PyGlobal)op.Arg!).ToString());
                        throw Refused(path, entry, $"INST builds an object of {op.Arg}");
                    case 0x93:
                        if (top.Count < 2 || top[^1] is null || top[^2] is null)
                            throw Refused(path, entry, $"STACK_GLOBAL at byte {op.Position} with a name computed at load time");
                        Allow(top[^2] + "." + top[^1]);
                        top.Clear();
                        break;
                    case (byte)'o': throw Refused(path, entry, $"OBJ at byte {op.Position} builds an arbitrary object");
                    case 0x81 or 0x92: throw Refused(path, entry, $"NEWOBJ at byte {op.Position} builds an arbitrary object");
                    case 0x82 or 0x83 or 0x84: throw Refused(path, entry, $"EXT at byte {op.Position} looks up code in the extension registry");
                    case 0x97 or 0x98: throw Refused(path, entry, $"out-of-band buffers at byte {op.Position}");
                    case (byte)'X' or 0x8c or 0x8d or (byte)'T' or (byte)'U' or (byte)'S' or (byte)'V':
                        top.Add((string)op.Arg!);
                        break;
                    case (byte)'g' or (byte)'h' or (byte)'j':
                        top.Add(op.Arg is long gi && memo.TryGetValue(gi, out var s) ? s : null);
                        break;
                    case (byte)'p' or (byte)'q' or (byte)'r' or 0x94:
                        long index = op.Code == 0x94 ? memoKeys.Count : op.Arg is long pi ? pi : -1;
                        memoKeys.Add(index);
                        if (top.Count > 0 && top[^1] is { } known) memo[index] = known;
                        else memo.Remove(index);
                        break;
                    case 0x80 or 0x95:
                        break; // PROTO, FRAME: no stack effect
                    default:
                        top.Clear();
                        break;
                }
            }
            return globals;

            void Allow(string name)
            {
                if (!AllowedGlobals.Contains(name)) throw Refused(path, entry, $"it names {name}");
                if (!globals.Contains(name)) globals.Add(name);
            }
        }
    }

    /// <summary>
    /// Evaluates a scanned pickle into <see cref="PyDict"/> / <see cref="PySequence"/> / scalars / <see cref="PyTensor"/>
    /// descriptors. Allow-listed globals map to fixed C# handlers; tensor data is never read.
    /// </summary>
    sealed class SafeUnpickler(byte[] data, string path, string entry)
    {
        readonly List<object?> stack = new();
        readonly List<int> marks = new();
        readonly Dictionary<long, object?> memo = new();

        public object? Load()
        {
            foreach (var op in Ops(data, path, entry))
            {
                int at = op.Position;
                switch (op.Code)
                {
                    case 0x80 or 0x95: break;
                    case (byte)'.': return Pop(at);
                    case (byte)'(': marks.Add(stack.Count); break;
                    case (byte)'0': Pop(at); break;
                    case (byte)'1': PopMark(at); break;
                    case (byte)'2': Push(Peek(at)); break;
                    case (byte)'N': Push(null); break;
                    case 0x88: Push(true); break;
                    case 0x89: Push(false); break;
                    case (byte)'K' or (byte)'M' or (byte)'J' or 0x8a or 0x8b or (byte)'I' or (byte)'L' or (byte)'G' or (byte)'F'
                        or (byte)'X' or 0x8c or 0x8d or (byte)'T' or (byte)'U' or (byte)'S' or (byte)'V' or (byte)'B' or (byte)'C'
                        or 0x8e or 0x96:
                        Push(op.Arg);
                        break;
                    case (byte)']': Push(new PySequence('[', new())); break;
                    case (byte)')': Push(new PySequence('(', new())); break;
                    case 0x8f: Push(new PySequence('{', new())); break;
                    case (byte)'}': Push(new PyDict()); break;
                    case (byte)'l': Push(new PySequence('[', PopMark(at))); break;
                    case (byte)'t': Push(new PySequence('(', PopMark(at))); break;
                    case 0x91: Push(new PySequence('{', PopMark(at))); break;
                    case 0x85 or 0x86 or 0x87:
                    {
                        int n = op.Code - 0x84;
                        var items = new List<object?>();
                        for (int i = 0; i < n; i++) items.Insert(0, Pop(at));
                        Push(new PySequence('(', items));
                        break;
                    }
                    case (byte)'d':
                    {
                        var items = PopMark(at);
                        var d = new PyDict();
                        SetItems(d, items, at);
                        Push(d);
                        break;
                    }
                    case (byte)'a':
                    {
                        var v = Pop(at);
                        Sequence(Peek(at), '[', at).Items.Add(v);
                        break;
                    }
                    case (byte)'e': { var items = PopMark(at); Sequence(Peek(at), '[', at).Items.AddRange(items); break; }
                    case 0x90: { var items = PopMark(at); Sequence(Peek(at), '{', at).Items.AddRange(items); break; }
                    case (byte)'s':
                    {
                        var v = Pop(at);
                        var k = Pop(at);
                        Dict(Peek(at), at).Set(k, v);
                        break;
                    }
                    case (byte)'u': { var items = PopMark(at); SetItems(Dict(Peek(at), at), items, at); break; }
                    case (byte)'g' or (byte)'h' or (byte)'j':
                        if (!memo.TryGetValue((long)op.Arg!, out var got)) throw Malformed(path, entry, at, $"memo {op.Arg} is read before it is written");
                        Push(got);
                        break;
                    case (byte)'p' or (byte)'q' or (byte)'r':
                        memo[(long)op.Arg!] = Peek(at);
                        break;
                    case 0x94: memo[memo.Count] = Peek(at); break;
                    case (byte)'c': Push(Global((PyGlobal)op.Arg!)); break;
                    case 0x93:
                    {
                        var name = Pop(at);
                        var module = Pop(at);
                        if (module is not string m || name is not string n) throw Refused(path, entry, "STACK_GLOBAL with a computed name");
                        Push(Global(new PyGlobal(m, n)));
                        break;
                    }
                    case (byte)'R':
                    {
                        var args = Pop(at);
                        var callable = Pop(at);
                        Push(Reduce(callable, args, at));
                        break;
                    }
                    case (byte)'b':
                    {
                        Pop(at); // the state: OrderedDict's _metadata (state_dict versions) or a Parameter's attributes
                        if (Peek(at) is not (PyDict or PyTensor))
                            throw Malformed(path, entry, at, $"BUILD on a {Describe(Peek(at))}");
                        break;
                    }
                    case (byte)'Q': Push(Persistent(Pop(at), at)); break;
                    case (byte)'P': throw Malformed(path, entry, at, "text persistent ids are not written by torch.save");
                    default: throw Refused(path, entry, $"opcode 0x{op.Code:x2} at byte {at}");
                }
            }
            throw Malformed(path, entry, data.Length, "no STOP");
        }

        PyGlobal Global(PyGlobal g) =>
            AllowedGlobals.Contains(g.ToString()) ? g : throw Refused(path, entry, $"it names {g}");

        object Reduce(object? callable, object? args, int at)
        {
            if (callable is not PyGlobal g) throw Refused(path, entry, $"REDUCE at byte {at} calls a {Describe(callable)}");
            if (args is not PySequence { Kind: '(' } tuple) throw Malformed(path, entry, at, $"REDUCE arguments are a {Describe(args)}");
            var a = tuple.Items;
            switch (g.ToString())
            {
                case OrderedDict:
                {
                    // OrderedDict() from torch.save; OrderedDict(()) or OrderedDict([(k, v), …]) from other writers (PyBridge).
                    var d = new PyDict();
                    if (a.Count == 0) return d;
                    if (a.Count != 1 || a[0] is not PySequence { Kind: '(' or '[' } pairs)
                        throw Malformed(path, entry, at, "OrderedDict is built from something other than a list of pairs");
                    foreach (var pair in pairs.Items)
                    {
                        if (pair is not PySequence { Kind: '(' or '[', Items.Count: 2 } kv)
                            throw Malformed(path, entry, at, "OrderedDict is built from something other than a list of pairs");
                        d.Set(kv.Items[0], kv.Items[1]);
                    }
                    return d;
                }
                case RebuildTensor:
                    if (a.Count < 6 || a[0] is not PyStorage storage || a[1] is not long offset
                        || Longs(a[2]) is not { } shape || Longs(a[3]) is not { } stride || a[4] is not bool)
                        throw Malformed(path, entry, at, "a _rebuild_tensor_v2 record is not (storage, offset, shape, stride, requires_grad, hooks)");
                    return new PyTensor(storage, offset, shape, stride);
                case RebuildParameter:
                    if (a.Count < 2 || a[0] is not PyTensor data)
                        throw Malformed(path, entry, at, "a _rebuild_parameter record does not hold a tensor");
                    return data;
                default:
                    throw Refused(path, entry, $"REDUCE at byte {at} calls {g}");
            }
        }

        PyStorage Persistent(object? pid, int at)
        {
            if (pid is not PySequence { Kind: '(' } t || t.Items.Count != 5 || t.Items[0] is not "storage"
                || t.Items[1] is not PyGlobal type || t.Items[2] is not string key || t.Items[3] is not string location
                || t.Items[4] is not long numel)
                throw Malformed(path, entry, at, "a persistent id is not ('storage', type, key, location, numel)");
            if (!StorageTypes.TryGetValue(type.ToString(), out var dtype))
                throw Malformed(path, entry, at, $"{type} is not a storage type");
            return new PyStorage(dtype.DType, dtype.Size, key, location, numel);
        }

        static long[]? Longs(object? value) =>
            value is PySequence { Kind: '(' } s && s.Items.All(i => i is long) ? s.Items.Select(i => (long)i!).ToArray() : null;

        void SetItems(PyDict d, List<object?> items, int at)
        {
            if (items.Count % 2 != 0) throw Malformed(path, entry, at, "SETITEMS with an odd number of items");
            for (int i = 0; i < items.Count; i += 2) d.Set(items[i], items[i + 1]);
        }

        PySequence Sequence(object? value, char kind, int at) =>
            value is PySequence s && s.Kind == kind ? s : throw Malformed(path, entry, at, $"appends to a {Describe(value)}");

        PyDict Dict(object? value, int at) =>
            value as PyDict ?? throw Malformed(path, entry, at, $"sets an item on a {Describe(value)}");

        static string Describe(object? v) => v switch
        {
            null => "None",
            PySequence s => s.Kind == '(' ? "tuple" : s.Kind == '{' ? "set" : "list",
            PyDict => "dict",
            PyGlobal g => g.ToString(),
            _ => v.GetType().Name,
        };

        void Push(object? v) => stack.Add(v);

        object? Peek(int at) =>
            stack.Count > (marks.Count > 0 ? marks[^1] : 0) ? stack[^1] : throw Malformed(path, entry, at, "the stack is empty");

        object? Pop(int at)
        {
            var v = Peek(at);
            stack.RemoveAt(stack.Count - 1);
            return v;
        }

        List<object?> PopMark(int at)
        {
            if (marks.Count == 0) throw Malformed(path, entry, at, "no MARK to pop to");
            int m = marks[^1];
            marks.RemoveAt(marks.Count - 1);
            var items = stack.GetRange(m, stack.Count - m);
            stack.RemoveRange(m, stack.Count - m);
            return items;
        }
    }
}
