using StepAudio.Evaluation;

namespace StepAudio.Notebooks;

/// <summary>An <see cref="EvaluationReport"/>: what was compared, then the before/after/delta table of <see cref="EvaluationReport.Rows"/>.</summary>
public static class EvaluationHtml
{
    public static string Render(EvaluationReport report)
    {
        var head = string.Join("", EvaluationReportText.Header(report).Skip(1).Select(l => $"<div class=\"sa-meta\">{Html.Encode(l.Trim())}</div>"));
        var table = Html.Table(new[] { "group", "n", "metric", "before", "after", "delta" },
            report.Rows().Select(r => new TableRow(Html.Encode(r.Group), Html.Count(r.Records), Html.Encode(r.Metric),
                Html.Encode(r.Format(r.Before)), Html.Encode(r.Format(r.After)), Html.Encode(r.Format(r.Delta, signed: true)))));
        return Html.Section($"evaluation of {report.RunDirectory}: {report.Records.Count} records, seed {report.Seed}", head + table);
    }
}
