using System.Text.Json;

namespace StepAudio.Checkpoints;

/// <summary>
/// The safetensors files of a Hugging Face model folder: <c>model.safetensors.index.json</c> (its
/// <c>weight_map</c> names the shard of every tensor) or a single <c>model.safetensors</c>. Headers are read;
/// tensor data is read later, one tensor at a time.
/// </summary>
public sealed class HfCheckpointFiles : IDisposable
{
    /// <summary>Index file name.</summary>
    public const string IndexName = "model.safetensors.index.json";
    /// <summary>Single-file name.</summary>
    public const string SingleName = "model.safetensors";

    readonly Dictionary<string, SafetensorsFile> files;

    /// <summary>The folder or file the tensors come from.</summary>
    public string Source { get; }
    /// <summary>The file holding each tensor key.</summary>
    public IReadOnlyDictionary<string, SafetensorsFile> KeyToFile { get; }

    HfCheckpointFiles(string source, Dictionary<string, SafetensorsFile> files, Dictionary<string, SafetensorsFile> map)
    {
        Source = source; this.files = files; KeyToFile = map;
    }

    /// <summary>
    /// Opens the checkpoint in <paramref name="path"/>: a folder with an index or <c>model.safetensors</c>, or one
    /// <c>.safetensors</c> file. A missing shard, or a key the index names but its shard lacks, is an error.
    /// </summary>
    public static HfCheckpointFiles Open(string path)
    {
        var files = new Dictionary<string, SafetensorsFile>();
        var map = new Dictionary<string, SafetensorsFile>();
        try
        {
            if (File.Exists(path) && path.EndsWith(".safetensors", StringComparison.Ordinal))
            {
                var f = SafetensorsFile.Open(path);
                files[path] = f;
                foreach (var k in f.Entries.Keys) map[k] = f;
                return new HfCheckpointFiles(path, files, map);
            }
            if (!Directory.Exists(path))
                throw new InputException(path, null, null, "model folder not found",
                    "point to the folder holding config.json and the safetensors files");
            var index = Path.Combine(path, IndexName);
            if (File.Exists(index))
            {
                foreach (var (key, shard) in ReadWeightMap(index))
                {
                    var shardPath = Path.Combine(path, shard);
                    if (!files.TryGetValue(shardPath, out var f))
                    {
                        if (!File.Exists(shardPath))
                            throw new InputException(index, null, "weight_map",
                                $"shard '{shard}' (holding '{key}') does not exist",
                                "download the missing shard into the model folder");
                        files[shardPath] = f = SafetensorsFile.Open(shardPath);
                    }
                    if (!f.Entries.ContainsKey(key))
                        throw new InputException(index, null, "weight_map",
                            $"'{key}' is mapped to '{shard}', which does not contain it",
                            "re-download the shard or the index");
                    map[key] = f;
                }
                return new HfCheckpointFiles(path, files, map);
            }
            var single = Path.Combine(path, SingleName);
            if (File.Exists(single))
            {
                var f = SafetensorsFile.Open(single);
                files[single] = f;
                foreach (var k in f.Entries.Keys) map[k] = f;
                return new HfCheckpointFiles(path, files, map);
            }
            throw new InputException(path, null, null, $"neither {IndexName} nor {SingleName} is here",
                "point to a Hugging Face model folder with safetensors weights");
        }
        catch
        {
            foreach (var f in files.Values) f.Dispose();
            throw;
        }
    }

    static IEnumerable<(string Key, string Shard)> ReadWeightMap(string index)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(index)); }
        catch (JsonException e)
        {
            throw new InputException(index, (int?)e.LineNumber + 1, null, "not valid JSON: " + e.Message, "re-download it", e);
        }
        using (doc)
        {
            if (!doc.RootElement.TryGetProperty("weight_map", out var wm) || wm.ValueKind != JsonValueKind.Object)
                throw new InputException(index, null, "weight_map", "is missing", "re-download the index");
            var list = new List<(string, string)>();
            foreach (var p in wm.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                    throw new InputException(index, null, $"weight_map.{p.Name}", $"expected a shard file name, got {p.Value.ValueKind}",
                        "re-download the index");
                list.Add((p.Name, InsideFolder(index, $"weight_map.{p.Name}", p.Value.GetString()!)));
            }
            return list;
        }
    }

    /// <summary>
    /// A file name from an index, which must name a file in the model folder: no absolute path, no <c>..</c>, as
    /// written (symlinks are not resolved: Hugging Face cache folders link every file into <c>../../blobs/</c>).
    /// </summary>
    internal static string InsideFolder(string file, string field, string entry)
    {
        bool outside = entry.Length == 0 || entry.Contains('\0') || Path.IsPathRooted(entry)
                       || entry.Split('/', '\\').Any(part => part == "..");
        if (outside)
            throw new InputException(file, null, field, $"'{entry}' is not a file inside the model folder",
                "a shard must be named relative to the folder; re-download the index (it may be corrupt or hostile)");
        return entry;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var f in files.Values) f.Dispose();
    }
}
