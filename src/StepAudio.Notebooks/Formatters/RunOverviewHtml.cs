using System.Text;
using StepAudio.Training;

namespace StepAudio.Notebooks;

/// <summary>A <see cref="RunOverview"/>: best losses, a table of stages, the checkpoints, the loss chart, run facts and the config.</summary>
public static class RunOverviewHtml
{
    static readonly string[] RunFacts =
        { "created", "mode", "toolkit", "torchsharp", "git_commit", "seed", "threads", "machine", "llm_base", "flow_base", "audio_front_end" };

    public static string Render(RunOverview run)
    {
        var sb = new StringBuilder();
        var s = run.Summary;
        if (s is null) sb.Append("<div class=\"sa-meta\">no summary.json yet (the run has not finished an epoch)</div>");
        else
        {
            sb.Append("<div>").Append(s.Cancelled ? "<span class=\"sa-badge-warning\">stopped</span>" : "<span class=\"sa-ok\">completed</span>")
              .Append($" · {Html.Count(s.Steps)} steps · best validation: llm {Html.Number(s.BestLlmLoss)}, flow {Html.Number(s.BestFlowLoss)}")
              .Append($" (step 0: llm {Html.Number(s.Step0LlmLoss)}, flow {Html.Number(s.Step0FlowLoss)})</div>");
            sb.Append(Html.Table(new[] { "stage", "epochs", "steps", "skipped", "time", "final train loss", "val llm start → end", "val flow start → end", "completed" },
                s.Stages.Select(st => new TableRow(
                    $"{(int)st.Stage} ({st.Stage.ToString().ToLowerInvariant()})", $"{st.FirstEpoch}–{st.LastEpoch}", Html.Count(st.Steps),
                    Html.Count(st.SkippedSteps), Html.Duration(st.Seconds), Html.Number(FinalLoss(run.History, st.Stage)),
                    $"{Html.Number(st.StartLlmLoss)} → {Html.Number(st.EndLlmLoss)}", $"{Html.Number(st.StartFlowLoss)} → {Html.Number(st.EndFlowLoss)}",
                    st.Completed ? "yes" : "no"))));
        }
        if (run.Checkpoints.Count > 0)
            sb.Append(Html.Table(new[] { "checkpoint", "kind", "size" }, run.Checkpoints.Select(c => new TableRow(
                Html.Encode(c.RelativePath) + (c.IsBest ? " <b>(best)</b>" : ""), Html.Encode(c.Kind), Html.Bytes(c.Bytes)))));
        if (run.History is { Steps.Count: > 0 } history)
            sb.Append(PlotlyHtml.Render(TrainingCharts.Losses(history, Path.GetFileName(run.Path))));
        var facts = RunFacts.Where(run.RunInfo.ContainsKey).Select(k => new TableRow(Html.Encode(k), Html.Encode(run.RunInfo[k]))).ToList();
        if (facts.Count > 0) sb.Append("<details><summary>run.json</summary>").Append(Html.Table(new[] { "", "" }, facts)).Append("</details>");
        if (run.ConfigYaml is { } yaml)
            sb.Append("<details><summary>config.yaml</summary><pre class=\"sa-yaml\">").Append(Html.Encode(yaml)).Append("</pre></details>");
        return Html.Section("Run " + run.Path, sb.ToString());
    }

    static double? FinalLoss(TrainingHistory? history, TrainingStage stage) =>
        history?.Steps.LastOrDefault(p => p.Stage == stage)?.Loss;
}
