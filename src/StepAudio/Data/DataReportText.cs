using System.Globalization;
using System.Text;

namespace StepAudio.Data;

/// <summary>Renders a <see cref="DataReport"/> as the plain text <c>stepaudio validate-data</c> prints.</summary>
public static class DataReportText
{
    /// <summary>
    /// The report as text: summary lines, then every error and warning as <c>file:line: field: problem — fix</c>.
    /// Paths under <paramref name="relativeTo"/> (default: the current folder) are shown relative to it.
    /// </summary>
    public static string Render(DataReport report, string? relativeTo = null)
    {
        var baseDir = Path.GetFullPath(relativeTo ?? Environment.CurrentDirectory);
        string Short(string path)
        {
            var rel = Path.GetRelativePath(baseDir, path);
            return rel.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(rel) ? path : rel;
        }
        static string Counts<T>(IReadOnlyDictionary<T, int> d, Func<T, string> name) where T : notnull =>
            d.Count == 0 ? "none" : string.Join(", ", d.Select(kv => $"{name(kv.Key)} {kv.Value}"));
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine($"Data report (mode {report.Mode.ToString().ToLowerInvariant()}, target rate {report.TargetSampleRate} Hz)");
        foreach (var (path, n) in report.Manifests) sb.AppendLine($"  manifest   {Short(path)}: {n} records");
        sb.AppendLine($"  records    {report.Records}");
        sb.AppendLine($"  edit types {Counts(report.EditTypeCounts, k => k)}");
        sb.AppendLine($"  speakers   {report.SpeakerCounts.Count}: {Counts(report.SpeakerCounts, k => k)}");
        sb.AppendLine(string.Format(inv, "  clips      {0} files, {1:F1} s total, min {2:F2} s, max {3:F2} s",
            report.Clips.Count, report.TotalDuration, report.MinDuration, report.MaxDuration));
        sb.AppendLine($"  rates      {Counts(report.SampleRates, r => r + " Hz:")}");
        sb.AppendLine($"  channels   {Counts(report.ChannelCounts, c => c == 1 ? "mono:" : c + " ch:")}");
        sb.AppendLine($"  clipping   {report.ClippedClips} clips with samples at |x| >= {AudioClipStats.ClipLevel}");
        sb.AppendLine($"  duplicates {report.DuplicateRecords} records; overlap between manifests {report.OverlappingRecords} records");
        if (report.Prosody is { Count: > 0 } groups)
        {
            sb.AppendLine("  prosody    target clips per speaker and edit type (medians over clips; range p5-p95 of F0)");
            sb.AppendLine($"    {"speaker",-16} {"edit type",-14} {"clips",5} {"F0 Hz",6} {"range st",8} {"voiced",6} {"dBFS",6} {"onsets/s",8}");
            // Unvoiced groups (whispers) have no pitch: a dash reads better than NaN.
            static string Num(double v, string format) => double.IsNaN(v) ? "-" : v.ToString(format, CultureInfo.InvariantCulture);
            foreach (var g in groups)
                sb.AppendLine(string.Format(inv, "    {0,-16} {1,-14} {2,5} {3,6} {4,8} {5,6:P0} {6,6:F1} {7,8:F1}",
                    g.Speaker, g.EditType, g.Clips, Num(g.MedianF0, "F0"), Num(g.F0RangeSemitones, "F1"), g.VoicedShare,
                    g.MeanEnergyDb, g.VoicedOnsetsPerSecond));
        }
        var errors = report.Errors;
        var warnings = report.Warnings;
        sb.AppendLine($"Errors ({errors.Count})");
        foreach (var p in errors) sb.AppendLine("  " + (p with { File = Short(p.File) }));
        sb.AppendLine($"Warnings ({warnings.Count})");
        foreach (var p in warnings) sb.AppendLine("  " + (p with { File = Short(p.File) }));
        sb.Append(report.HasErrors
            ? $"FAILED: {errors.Count} error(s), {warnings.Count} warning(s)"
            : $"OK: no errors, {warnings.Count} warning(s)");
        return sb.ToString();
    }
}
