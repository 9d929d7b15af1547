using Microsoft.DotNet.Interactive.Formatting;
using StepAudio.Evaluation;

namespace StepAudio.Notebooks.Tests.Formatters;

public sealed class EvaluationFormatterTests : IDisposable
{
    public EvaluationFormatterTests() => NotebookFormatters.Register();
    public void Dispose() => Formatter.ResetToDefault();

    static ClipMetrics Clip(double cosine, double mcd, double? f0) => new(cosine, mcd, f0, f0 is null ? 0 : 40, 2, true);

    [Fact]
    public void An_evaluation_report_shows_before_after_and_delta_per_edit_type_and_overall()
    {
        var records = new[]
        {
            new RecordEvaluation("val.jsonl:1", "clone", null, "a.wav", 2, Clip(0.2, 6, 300), Clip(0.6, 5, 100)),
            new RecordEvaluation("val.jsonl:2", "speed", "faster", "b.wav", 2, Clip(0.1, 7, null), Clip(0.3, 6.5, 200)),
        };
        var report = new EvaluationReport("/runs/tiny/run-001", "2026-12-02T00:00:00Z", "val.jsonl", 42, 20, "preset tiny", "preset tiny",
            "/runs/tiny/run-001/llm_best/llm_best.pt", null, "tiny-spk:abc", [], EvaluationReport.GroupsOf(records), records);

        var html = Formatter.ToDisplayString(report, HtmlFormatter.MimeType);

        Assert.Contains("<td>clone</td><td>1</td><td>speaker cosine ↑</td><td>0.200</td><td>0.600</td><td>+0.400</td>", html);
        Assert.Contains("<td>speed</td><td>1</td><td>records with F0</td><td>0</td><td>1</td><td>+1</td>", html);
        Assert.Contains("<td>overall</td><td>2</td><td>MCD dB ↓</td><td>6.50</td><td>5.75</td><td>-0.75</td>", html);
        Assert.Contains("flow (not fine-tuned: the base)", html);
        // Show.Evaluation reads eval.json back from a folder of runs (its newest run), every number kept.
        var runs = Directory.CreateTempSubdirectory("stepaudio-eval-json-").FullName;
        var run = Directory.CreateDirectory(Path.Combine(runs, "run-001")).FullName;
        File.WriteAllText(Path.Combine(run, "run.json"), "{}");
        File.WriteAllText(Path.Combine(run, RunEvaluation.FileName), EvaluationReportJson.Serialize(report));
        var back = Show.Evaluation(runs);
        Assert.Equal(report.Groups, back.Groups);
        Assert.Equal(report.Records, back.Records);
        Assert.Throws<InputException>(() => Show.Evaluation(runs + "-missing"));
    }
}
