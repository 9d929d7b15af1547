using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace StepAudio.Data;

/// <summary>
/// Builds train/val JSONL manifests from a folder of WAV clips with same-named <c>.txt</c> transcripts, one
/// sub-folder per speaker (<c>DIR/&lt;speaker&gt;/&lt;clip&gt;.wav</c>; clips directly in DIR form one speaker).
/// </summary>
/// <remarks>
/// Every clip becomes the target of one clone record whose prompt is another clip of the same speaker. Clips, not
/// records, are split: each speaker's clips are ordered by a hash of (seed, file name) and the first
/// round(n × valRatio) go to validation, so no clip is in both splits, the split is the same for the same seed and
/// files, and adding a clip never moves the others. A split with one clip of a speaker cannot pair it, so it gets
/// none or at least two.
/// </remarks>
public static class ManifestBuilder
{
    static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Scans <paramref name="audioDir"/> and writes <c>train.jsonl</c> and <c>val.jsonl</c> into
    /// <paramref name="outDir"/> (default: <paramref name="audioDir"/>), with paths relative to <paramref name="outDir"/>.
    /// </summary>
    public static ManifestBuildResult Build(string audioDir, string? outDir = null, double valRatio = 0.2, int seed = 42)
    {
        var root = Path.GetFullPath(audioDir);
        if (!Directory.Exists(root))
            throw new InputException(root, null, null, "folder not found", "give the folder that holds the speaker sub-folders");
        if (!(valRatio >= 0 && valRatio < 1))
            throw new InputException("--val-ratio", null, null, $"{valRatio} is outside [0, 1)", "use e.g. 0.2");
        var output = Path.GetFullPath(outDir ?? root);
        var notes = new List<string>();
        var train = new List<string>();
        var val = new List<string>();
        int speakers = 0;

        var folders = Directory.EnumerateFiles(root, "*.*", SearchOption.AllDirectories)
            .Where(p => p.EndsWith(".wav", StringComparison.OrdinalIgnoreCase))
            .GroupBy(p => Path.GetDirectoryName(p)!)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var folder in folders)
        {
            var speaker = Path.GetFileName(folder.Key);
            var clips = folder.OrderBy(p => Rank(seed, Path.GetRelativePath(root, p)), StringComparer.Ordinal).ToList();
            if (clips.Count < 2)
            {
                notes.Add($"{folder.Key}: only one clip; a clone pair needs two clips of the speaker, skipped");
                continue;
            }
            int nVal = (int)Math.Round(clips.Count * valRatio, MidpointRounding.AwayFromZero);
            if (nVal == 1) nVal = clips.Count >= 4 ? 2 : 0;
            if (clips.Count - nVal < 2) nVal = 0;
            if (valRatio > 0 && nVal == 0)
                notes.Add($"{folder.Key}: {clips.Count} clips are too few to give validation two, all go to train");
            speakers++;
            AddPairs(clips.Take(nVal).ToList(), val);
            AddPairs(clips.Skip(nVal).ToList(), train);

            void AddPairs(List<string> split, List<string> lines)
            {
                // Each clip is a target once; its prompt is the next clip in the (hashed) order, wrapping around.
                for (int i = 0; i < split.Count; i++)
                {
                    var target = split[i];
                    var prompt = split[(i + 1) % split.Count];
                    lines.Add(Line(output, prompt, target, speaker, notes));
                }
            }
        }
        if (train.Count == 0 && val.Count == 0)
            throw new InputException(root, null, null, "no speaker folder with two or more .wav clips",
                "lay the clips out as DIR/<speaker>/<clip>.wav with <clip>.txt transcripts next to them");

        Directory.CreateDirectory(output);
        var trainPath = Path.Combine(output, "train.jsonl");
        var valPath = Path.Combine(output, "val.jsonl");
        WriteAtomic(trainPath, train);
        WriteAtomic(valPath, val);
        return new ManifestBuildResult(trainPath, valPath, train.Count, val.Count, speakers, notes);
    }

    static string Line(string outDir, string prompt, string target, string speaker, List<string> notes)
    {
        var record = new Dictionary<string, string>
        {
            ["prompt_audio_path"] = Path.GetRelativePath(outDir, prompt).Replace('\\', '/'),
        };
        if (Transcript(prompt, notes) is { } pt) record["prompt_text"] = pt;
        record["target_audio_path"] = Path.GetRelativePath(outDir, target).Replace('\\', '/');
        if (Transcript(target, notes) is { } tt) record["target_text"] = tt;
        record["edit_type"] = "clone";
        record["speaker_id"] = speaker;
        return JsonSerializer.Serialize(record, Json);
    }

    static string? Transcript(string wav, List<string> notes)
    {
        var txt = Path.ChangeExtension(wav, ".txt");
        if (!File.Exists(txt))
        {
            var note = $"{wav}: no transcript {Path.GetFileName(txt)}; its records have no text (fine for flow-only training)";
            if (!notes.Contains(note)) notes.Add(note);
            return null;
        }
        var text = string.Join(' ', File.ReadAllText(txt, Encoding.UTF8).Split((char[]?)null,
            StringSplitOptions.RemoveEmptyEntries));
        return text.Length == 0 ? null : text;
    }

    static string Rank(int seed, string relativePath) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}\n{relativePath.Replace('\\', '/')}")));

    static void WriteAtomic(string path, List<string> lines)
    {
        var tmp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(tmp, lines.Count == 0 ? "" : string.Join("\n", lines) + "\n", new UTF8Encoding(false));
        File.Move(tmp, path, true);
    }
}
