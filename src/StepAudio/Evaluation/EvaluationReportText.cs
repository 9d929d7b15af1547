using System.Text;

namespace StepAudio.Evaluation;

/// <summary>An <see cref="EvaluationReport"/> as the plain text <c>stepaudio evaluate</c> prints when output is redirected.</summary>
public static class EvaluationReportText
{
    /// <summary>The header lines: what was compared with what.</summary>
    public static IEnumerable<string> Header(EvaluationReport r)
    {
        yield return $"Evaluation of {r.RunDirectory} on {r.Records.Count} records of {r.ValManifest} (seed {r.Seed})";
        yield return $"  before: LLM {r.BeforeLlm}; flow {r.BeforeFlow}";
        yield return $"  after:  LLM {r.AfterLlm ?? "(not fine-tuned: the base)"}; flow {r.AfterFlow ?? "(not fine-tuned: the base)"}";
        yield return $"  speaker encoder {r.SpeakerEncoder}";
        foreach (var note in r.Notes) yield return "  note: " + note;
    }

    /// <summary>Header and table, columns padded.</summary>
    public static string Render(EvaluationReport report)
    {
        var sb = new StringBuilder();
        foreach (var line in Header(report)) sb.AppendLine(line);
        var rows = report.Rows().Select(x => new[] { x.Group, x.Records.ToString(System.Globalization.CultureInfo.InvariantCulture), x.Metric,
            x.Format(x.Before), x.Format(x.After), x.Format(x.Delta, signed: true) }).ToList();
        rows.Insert(0, ["group", "n", "metric", "before", "after", "delta"]);
        var widths = Enumerable.Range(0, 6).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var r in rows)
            sb.AppendLine(string.Join("  ", r.Select((cell, c) => c < 3 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd());
        return sb.ToString();
    }
}
