using System.Globalization;
using System.Text;
using StepAudio.Audio;
using StepAudio.Config;

namespace StepAudio.Data;

/// <summary>
/// Checks manifests and their audio before training and returns a <see cref="DataReport"/>: record counts, clip
/// statistics, and every problem as <c>file:line: field: what is wrong — what to do</c>.
/// </summary>
/// <remarks>
/// Errors: unreadable or non-WAV audio, missing files or fields, wrong JSON types, unknown edit types, NaN/Inf
/// samples, silent clips, clips outside <c>data.filter.min_length/max_length</c> (10 ms frames, as CosyVoice's
/// <c>filter</c>) or over <c>data.max_audio_len</c> seconds, bad token lists, texts missing when the LLM trains,
/// emotion/style/speed without <c>edit_info</c>, paralinguistic without <c>target_text</c>.
/// Warnings: unknown fields, clipping, long silence padding, chars-per-second outliers, records shared between
/// manifests, duplicate pairs, sample rates other than <c>data.sample_rate</c>.
/// </remarks>
public static class ManifestValidator
{
    /// <summary>Leading or trailing silence longer than this (seconds) is reported.</summary>
    public const double MaxSilencePadding = 0.5;
    /// <summary>Peaks below this level (dBFS) make a clip count as silent.</summary>
    public const double SilentPeakDbfs = -60;
    /// <summary>Clips with at least this many samples at |x| ≥ 0.999 are reported as clipped.</summary>
    public const int ClippingMinSamples = 3;
    /// <summary>Robust z-score (0.6745·(x − median)/MAD, Iglewicz–Hoaglin) above which chars per second is an outlier.</summary>
    public const double OutlierZ = 3.5;
    /// <summary>Fewest clips of one script (CJK or not) needed before outliers are judged.</summary>
    public const int OutlierMinClips = 8;

    /// <summary>
    /// Validates the manifests (e.g. train then val) for <paramref name="mode"/> under <paramref name="config"/>.
    /// With <paramref name="prosody"/>, target clips also get pitch and energy statistics per speaker and edit type
    /// (~15 ms per 10 s of 24 kHz audio).
    /// </summary>
    public static DataReport Validate(IEnumerable<string> manifestPaths, DataConfig config, TrainMode mode, bool prosody = true)
    {
        var problems = new List<DataProblem>();
        var manifests = new List<(string, int)>();
        var records = new List<ManifestRecord>();
        foreach (var path in manifestPaths)
        {
            var parsed = ManifestReader.Parse(path);
            problems.AddRange(parsed.Problems);
            manifests.Add((parsed.ManifestPath, parsed.Records.Count));
            records.AddRange(parsed.Records);
        }

        foreach (var r in records) CheckRecord(r, mode, problems);
        var targets = prosody ? records.Select(r => r.TargetAudioPath).ToHashSet() : new HashSet<string>();
        var summaries = new Dictionary<string, ProsodySummary>();
        var clips = MeasureAudio(records, config, problems, targets, summaries);
        int duplicates = FindDuplicates(records, problems);
        int overlapping = FindOverlap(records, clips, problems);
        FindRateOutliers(records, clips, problems);

        var editCounts = records.GroupBy(r => r.EditType.ToManifestName()).OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
        var speakerCounts = records.GroupBy(r => r.SpeakerId ?? "(none)").OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count());
        var stats = clips.Values.OrderBy(c => c.Path, StringComparer.Ordinal).ToList();
        var rates = stats.GroupBy(c => c.SampleRate).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());
        var channels = stats.GroupBy(c => c.Channels).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());
        return new DataReport(mode, config.SampleRate, manifests, records.Count, editCounts, speakerCounts, stats,
            rates, channels, duplicates, overlapping, problems, prosody ? ProsodyGroup.Of(records, summaries) : null);
    }

    static void CheckRecord(ManifestRecord r, TrainMode mode, List<DataProblem> problems)
    {
        string file = r.ManifestPath;
        if (mode is TrainMode.Llm or TrainMode.Both)
        {
            var why = $"train_mode {mode.ToString().ToLowerInvariant()} trains the LLM, whose prompt holds the texts";
            if (string.IsNullOrWhiteSpace(r.PromptText))
                problems.Add(DataProblem.Error(file, r.Line, "prompt_text", $"missing; {why}",
                    "add what the prompt clip says, or train with --mode flow"));
            if (string.IsNullOrWhiteSpace(r.TargetText))
                problems.Add(DataProblem.Error(file, r.Line, "target_text", $"missing; {why}",
                    "add what the target clip says, or train with --mode flow"));
        }
        var name = r.EditType.ToManifestName();
        if (r.EditType.NeedsEditInfo())
        {
            var known = r.EditType.KnownEditInfo();
            if (string.IsNullOrWhiteSpace(r.EditInfo))
                problems.Add(DataProblem.Error(file, r.Line, "edit_info", $"missing; edit_type {name} needs it",
                    $"add \"edit_info\", e.g. one of: {string.Join(", ", known.Take(6))}"));
            else if (!known.Contains(r.EditInfo.Trim().ToLowerInvariant()))
                problems.Add(DataProblem.Warning(file, r.Line, "edit_info",
                    $"\"{r.EditInfo}\" is not one of upstream's {name} values",
                    $"the instruction still reads \"more {r.EditInfo}\"; upstream's are: {string.Join(", ", known)}"));
        }
        else if (!string.IsNullOrWhiteSpace(r.EditInfo) && r.EditType is EditType.Clone or EditType.Vad or EditType.Denoise)
            problems.Add(DataProblem.Warning(file, r.Line, "edit_info", $"ignored for edit_type {name}",
                "remove it, or set edit_type to emotion, style or speed"));
        if (r.EditType == EditType.Paralinguistic)
        {
            if (string.IsNullOrWhiteSpace(r.TargetText))
                problems.Add(DataProblem.Error(file, r.Line, "target_text",
                    "missing; a paralinguistic edit is defined by the new text with its tags",
                    "add the target text with tags such as [Laughter] or [Breathing]"));
            else if (!EditTypes.ParalinguisticTags.Any(t => r.TargetText.Contains(t, StringComparison.OrdinalIgnoreCase)))
                problems.Add(DataProblem.Warning(file, r.Line, "target_text", "has none of upstream's paralinguistic tags",
                    "upstream's tags are: " + string.Join(" ", EditTypes.ParalinguisticTags)));
        }
    }

    static Dictionary<string, AudioClipStats> MeasureAudio(List<ManifestRecord> records, DataConfig config,
        List<DataProblem> problems, HashSet<string> prosodyPaths, Dictionary<string, ProsodySummary> summaries)
    {
        var clips = new Dictionary<string, AudioClipStats>();
        var failed = new HashSet<string>();
        var f = config.Filter;
        var offRate = new SortedDictionary<int, (ManifestRecord, string, string)>();
        foreach (var r in records)
            foreach (var (field, path) in new[] { ("prompt_audio_path", r.PromptAudioPath), ("target_audio_path", r.TargetAudioPath) })
            {
                if (clips.ContainsKey(path) || !failed.Add(path)) continue;
                AudioClipStats s;
                AudioClip clip;
                try { clip = WavFile.Read(path); }
                catch (InputException e)
                {
                    problems.Add(DataProblem.Error(r.ManifestPath, r.Line, field, $"{Shown(r, path)}: {e.Problem}", e.Fix));
                    continue;
                }
                s = AudioClipStats.Of(path, clip);
                // Pitch needs finite samples and a rate whose Nyquist lies above the highest pitch searched.
                if (prosodyPaths.Contains(path) && s.NonFiniteSamples == 0 && clip.SampleRate > 2 * ProsodyOptions.Default.MaxF0)
                    summaries[path] = Prosody.Analyze(clip).Summarize();
                failed.Remove(path);
                clips[path] = s;
                var shown = Shown(r, path);
                void Error(string what, string fix) => problems.Add(DataProblem.Error(r.ManifestPath, r.Line, field, $"{shown}: {what}", fix));
                void Warn(string what, string fix) => problems.Add(DataProblem.Warning(r.ManifestPath, r.Line, field, $"{shown}: {what}", fix));
                var inv = CultureInfo.InvariantCulture;
                if (s.NonFiniteSamples > 0)
                    Error($"{s.NonFiniteSamples} NaN/Inf samples", "re-export the clip; the float WAV holds invalid samples");
                else if (s.Peak < Math.Pow(10, SilentPeakDbfs / 20))
                    Error(string.Format(inv, "the clip is silent (peak {0:F1} dBFS)", s.PeakDbfs),
                        "replace the clip or drop the record");
                double frames = s.Duration * 100; // CosyVoice's filter: num_frames = samples / sample_rate * 100
                if (frames < f.MinLength)
                    Error(string.Format(inv, "{0:F2} s = {1:F0} frames of 10 ms, under data.filter.min_length {2}", s.Duration, frames, f.MinLength),
                        "drop the record or lower data.filter.min_length");
                if (frames > f.MaxLength)
                    Error(string.Format(inv, "{0:F2} s = {1:F0} frames of 10 ms, over data.filter.max_length {2}", s.Duration, frames, f.MaxLength),
                        "split the clip or raise data.filter.max_length");
                if (config.MaxAudioLen > 0 && s.Duration > config.MaxAudioLen)
                    Error(string.Format(inv, "{0:F2} s, over data.max_audio_len {1} s", s.Duration, config.MaxAudioLen),
                        "split the clip or raise data.max_audio_len");
                if (s.ClippedSamples >= ClippingMinSamples)
                    Warn($"{s.ClippedSamples} samples at |x| >= {AudioClipStats.ClipLevel.ToString(inv)} (clipping)",
                        "re-record or lower the gain; clipped audio teaches distortion");
                if (s.NonFiniteSamples == 0 && s.Peak >= Math.Pow(10, SilentPeakDbfs / 20))
                {
                    if (s.LeadingSilence > MaxSilencePadding)
                        Warn(string.Format(inv, "{0:F2} s of leading silence (below {1} dBFS)", s.LeadingSilence, AudioClipStats.SilenceDbfs),
                            "trim it, e.g. `sox in.wav out.wav silence 1 0.1 0.1%`");
                    if (s.TrailingSilence > MaxSilencePadding)
                        Warn(string.Format(inv, "{0:F2} s of trailing silence (below {1} dBFS)", s.TrailingSilence, AudioClipStats.SilenceDbfs),
                            "trim it, e.g. `sox in.wav out.wav reverse silence 1 0.1 0.1% reverse`");
                }
                if (s.SampleRate != config.SampleRate && !offRate.ContainsKey(s.SampleRate))
                    offRate[s.SampleRate] = (r, field, shown);
            }
        // One warning per foreign rate, at its first clip: resampling is routine, a line per clip would bury the rest.
        foreach (var (rate, (r, field, shown)) in offRate)
        {
            int n = clips.Values.Count(c => c.SampleRate == rate);
            problems.Add(DataProblem.Warning(r.ManifestPath, r.Line, field,
                $"{shown}: {rate} Hz, not data.sample_rate {config.SampleRate} Hz" +
                (n > 1 ? $" (and {n - 1} more clips at {rate} Hz); they" : "; it") + " will be resampled",
                "nothing to do, or resample once beforehand to save time"));
        }
        return clips;
    }

    /// <summary>The audio path as the manifest would write it: relative to the manifest's folder when inside it.</summary>
    static string Shown(ManifestRecord r, string path)
    {
        var rel = Path.GetRelativePath(Path.GetDirectoryName(r.ManifestPath)!, path);
        return rel.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(rel) ? path : rel;
    }

    static int FindDuplicates(List<ManifestRecord> records, List<DataProblem> problems)
    {
        var first = new Dictionary<(string, string), ManifestRecord>();
        int count = 0;
        foreach (var r in records)
        {
            if (first.TryGetValue((r.PromptAudioPath, r.TargetAudioPath), out var earlier))
            {
                count++;
                problems.Add(DataProblem.Warning(r.ManifestPath, r.Line, null,
                    $"duplicate of {earlier.Location} (same prompt and target audio)",
                    "remove one, unless the repetition is meant as extra weight"));
            }
            else first[(r.PromptAudioPath, r.TargetAudioPath)] = r;
        }
        return count;
    }

    static int FindOverlap(List<ManifestRecord> records, Dictionary<string, AudioClipStats> clips, List<DataProblem> problems)
    {
        var byHash = new Dictionary<string, ManifestRecord>();
        var byText = new Dictionary<(string, string), ManifestRecord>();
        int count = 0;
        foreach (var group in records.GroupBy(r => r.ManifestPath))
        {
            foreach (var r in group)
            {
                DataProblem? found = null;
                foreach (var (field, path) in new[] { ("prompt_audio_path", r.PromptAudioPath), ("target_audio_path", r.TargetAudioPath) })
                    if (found == null && clips.TryGetValue(path, out var s) && byHash.TryGetValue(s.ContentHash, out var other))
                        found = DataProblem.Warning(r.ManifestPath, r.Line, field,
                            $"the same audio as in {other.Location} (content hash), which is in another manifest",
                            "keep each clip in one split so validation measures unseen audio");
                if (found == null && TextKey(r) is { } key && byText.TryGetValue(key, out var same))
                    found = DataProblem.Warning(r.ManifestPath, r.Line, "target_text",
                        $"the same target text and speaker as {same.Location}, which is in another manifest",
                        "keep each utterance in one split so validation measures unseen data");
                if (found != null) { count++; problems.Add(found); }
            }
            foreach (var r in group)
            {
                foreach (var path in new[] { r.PromptAudioPath, r.TargetAudioPath })
                    if (clips.TryGetValue(path, out var s)) byHash.TryAdd(s.ContentHash, r);
                if (TextKey(r) is { } key) byText.TryAdd(key, r);
            }
        }
        return count;
    }

    static (string, string)? TextKey(ManifestRecord r)
    {
        if (string.IsNullOrWhiteSpace(r.SpeakerId) || string.IsNullOrWhiteSpace(r.TargetText)) return null;
        var sb = new StringBuilder();
        foreach (var c in r.TargetText)
            if (char.IsLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
        return sb.Length == 0 ? null : (r.SpeakerId.Trim(), sb.ToString());
    }

    /// <summary>
    /// Characters per second of speech (silence padding excluded, [tags] not counted), per script: Mandarin and
    /// English speak at very different character rates, so each is judged against its own median. Targets of speed
    /// edits are meant to differ and are left out.
    /// </summary>
    static void FindRateOutliers(List<ManifestRecord> records, Dictionary<string, AudioClipStats> clips,
        List<DataProblem> problems)
    {
        var seen = new HashSet<(string, string)>();
        var items = new List<(ManifestRecord R, string Field, double Rate, bool Cjk)>();
        foreach (var r in records)
            foreach (var (field, path, text) in new[] { ("target_text", r.TargetAudioPath, r.TargetText), ("prompt_text", r.PromptAudioPath, r.PromptText) })
            {
                if (field == "target_text" && r.EditType == EditType.Speed) continue;
                if (string.IsNullOrWhiteSpace(text) || !clips.TryGetValue(path, out var s) || s.SpeechDuration <= 0) continue;
                if (!seen.Add((path, text))) continue;
                var (chars, cjk) = CountChars(text);
                if (chars > 0) items.Add((r, field, chars / s.SpeechDuration, cjk));
            }
        foreach (var group in items.GroupBy(i => i.Cjk))
        {
            var list = group.ToList();
            if (list.Count < OutlierMinClips) continue;
            double median = Median(list.Select(i => i.Rate));
            double mad = Median(list.Select(i => Math.Abs(i.Rate - median)));
            if (mad <= 0) continue;
            foreach (var (r, field, rate, cjk) in list)
            {
                double z = 0.6745 * (rate - median) / mad;
                if (Math.Abs(z) <= OutlierZ) continue;
                problems.Add(DataProblem.Warning(r.ManifestPath, r.Line, field, string.Format(CultureInfo.InvariantCulture,
                        "{0:F1} {1} chars per second of speech against a median of {2:F1} (robust z {3:F1})",
                        rate, cjk ? "CJK" : "non-CJK", median, z),
                    z > 0 ? "the text may be longer than what the clip says; check the transcript and the clip"
                          : "the clip may hold more than the text says; check the transcript and the clip"));
            }
        }
    }

    static (int Chars, bool Cjk) CountChars(string text)
    {
        int chars = 0, cjk = 0, depth = 0;
        foreach (var c in text)
        {
            if (c == '[') { depth++; continue; }
            if (c == ']') { depth = Math.Max(0, depth - 1); continue; }
            if (depth > 0 || !char.IsLetterOrDigit(c)) continue;
            chars++;
            if (c is >= '\u3040' and <= '\u30FF' or >= '\u3400' and <= '\u9FFF' or >= '\uAC00' and <= '\uD7AF' or >= '\uF900' and <= '\uFAFF') cjk++;
        }
        return (chars, cjk * 2 > chars);
    }

    static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
