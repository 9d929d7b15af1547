using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text;

namespace StepAudio.Data;

/// <summary>
/// Builds train/val JSONL manifests from a folder of WAV clips with same-named <c>.txt</c> transcripts, one
/// sub-folder per speaker (<c>DIR/&lt;speaker&gt;/&lt;clip&gt;.wav</c>; clips directly in DIR form one speaker).
/// </summary>
/// <remarks>
/// Every clip becomes the target of one clone record whose prompt is another clip of the same speaker (one saying
/// another sentence when there is one). Clips, not records, are split: each speaker's clips are grouped by
/// transcript (variants of one sentence stay together), the groups are ordered by a hash of (seed, speaker,
/// transcript or file name), and groups go to validation until it holds round(n × valRatio) clips. So no clip, and no
/// sentence of a speaker, is in both splits; the split is the same for the same seed and files; and adding a clip
/// seldom moves the others. A split with one clip of a speaker cannot pair it, so it gets none or at least two.
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
            if (folder.Count() < 2)
            {
                notes.Add($"{folder.Key}: only one clip; a clone pair needs two clips of the speaker, skipped");
                continue;
            }
            // Clips saying the same sentence (e.g. a speed or emotion variant) stay in one split, so validation never
            // hears a sentence the speaker trained on.
            var groups = folder
                .Select(p => (Path: p, Text: Transcript(p, notes)))
                .GroupBy(c => c.Text is { } t ? "text\n" + Normalise(t) : "file\n" + Path.GetRelativePath(root, c.Path).Replace('\\', '/'))
                .OrderBy(g => Rank(seed, speaker + "\n" + g.Key), StringComparer.Ordinal)
                .Select(g => g.OrderBy(c => c.Path, StringComparer.Ordinal).ToList())
                .ToList();
            int n = folder.Count();
            int want = (int)Math.Round(n * valRatio, MidpointRounding.AwayFromZero);
            var valClips = new List<(string Path, string? Text)>();
            int taken = 0;
            while (taken < groups.Count && valClips.Count < Math.Max(want, want > 0 ? 2 : 0))
                valClips.AddRange(groups[taken++]);
            if (n - valClips.Count < 2) { valClips.Clear(); taken = 0; }
            if (valRatio > 0 && valClips.Count == 0)
                notes.Add($"{folder.Key}: {n} clips are too few to give validation two, all go to train");
            speakers++;
            AddPairs(valClips, val);
            AddPairs(groups.Skip(taken).SelectMany(g => g).ToList(), train);

            void AddPairs(List<(string Path, string? Text)> split, List<string> lines)
            {
                // Each clip is a target once; its prompt is the next clip saying another sentence (wrapping around),
                // or simply the next clip when all say the same.
                for (int i = 0; i < split.Count; i++)
                {
                    var target = split[i];
                    var prompt = split[(i + 1) % split.Count];
                    for (int k = 1; k < split.Count; k++)
                    {
                        var c = split[(i + k) % split.Count];
                        if (c.Text == null || target.Text == null || Normalise(c.Text) != Normalise(target.Text)) { prompt = c; break; }
                    }
                    lines.Add(Line(output, prompt, target, speaker));
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

    static string Line(string outDir, (string Path, string? Text) prompt, (string Path, string? Text) target, string speaker)
    {
        var record = new Dictionary<string, string>
        {
            ["prompt_audio_path"] = ManifestPath(outDir, prompt.Path),
        };
        if (prompt.Text is { } pt) record["prompt_text"] = pt;
        record["target_audio_path"] = ManifestPath(outDir, target.Path);
        if (target.Text is { } tt) record["target_text"] = tt;
        record["edit_type"] = "clone";
        record["speaker_id"] = speaker;
        return JsonSerializer.Serialize(record, Json);
    }

    /// <summary>Relative to the manifest's folder, unless the only common ancestor is the filesystem root.</summary>
    static string ManifestPath(string outDir, string audio)
    {
        var rel = Path.GetRelativePath(outDir, audio).Replace('\\', '/');
        int ups = rel.Split('/').TakeWhile(part => part == "..").Count();
        int depth = outDir.Split(new[] { '/', '\\' }, StringSplitOptions.RemoveEmptyEntries).Length;
        return Path.IsPathRooted(rel) || (ups > 0 && ups >= depth) ? audio : rel;
    }

    static string Normalise(string text)
    {
        var sb = new StringBuilder();
        foreach (var c in text)
            if (char.IsLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
        return sb.ToString();
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

    static void WriteAtomic(string path, List<string> lines) =>
        AtomicFile.WriteAllText(path, lines.Count == 0 ? "" : string.Join("\n", lines) + "\n");
}

/// <summary>What <see cref="ManifestBuilder.Build"/> wrote.</summary>
/// <param name="TrainPath">The train manifest.</param>
/// <param name="ValPath">The validation manifest.</param>
/// <param name="TrainRecords">Records in the train manifest.</param>
/// <param name="ValRecords">Records in the validation manifest.</param>
/// <param name="Speakers">Speaker folders that gave records.</param>
/// <param name="Notes">Clips or folders left out or left without text, and why.</param>
public sealed record ManifestBuildResult(string TrainPath, string ValPath, int TrainRecords, int ValRecords,
    int Speakers, IReadOnlyList<string> Notes);
