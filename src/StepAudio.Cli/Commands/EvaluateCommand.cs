using System.CommandLine;
using Spectre.Console;
using StepAudio.Evaluation;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio evaluate --run DIR</c>: the run's validation records generated with the base models and with its best
/// checkpoints, measured against their targets (speaker cosine, MCD, F0 RMSE) per edit type; prints the table and
/// writes <c>eval.json</c> into the run folder.
/// </summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var run = new Option<DirectoryInfo>("--run") { Description = "a finetune run folder, or a folder of runs (its newest)", Required = true };
        var maxRecords = new Option<int?>("--max-records") { Description = "evaluate only the first N validation records (default: all)" };
        var seed = new Option<long?>("--seed") { Description = "sampling seed; record i uses seed + i (default: the run config's seed)" };
        var maxSeconds = new Option<double>("--max-seconds") { Description = "longest audio the LLM may write per record (also capped at 1.5 × its target)", DefaultValueFactory = _ => 20 };
        var command = new Command("evaluate", "Did fine-tuning help? Clone/edit the validation set before and after, measure speaker cosine, MCD and F0 RMSE");
        foreach (var o in new Option[] { run, maxRecords, seed, maxSeconds }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            int? n = parse.GetValue(maxRecords);
            if (n is < 1) throw new UsageException($"--max-records must be ≥ 1, got {n}");
            double max = parse.GetValue(maxSeconds);
            if (!(max > 0)) throw new UsageException($"--max-seconds must be > 0, got {max}");
            Evaluate(parse.GetValue(run)!.FullName, new EvaluationOptions { MaxRecords = n, Seed = parse.GetValue(seed), MaxSeconds = max });
            return StepAudioCli.Success;
        }));
        return command;
    }

    /// <summary>Evaluates <paramref name="runDir"/>, prints the table and writes <c>eval.json</c> (also <c>finetune --evaluate</c>).</summary>
    public static EvaluationReport Evaluate(string runDir, EvaluationOptions options)
    {
        var report = RunEvaluation.Run(runDir, options, line => Console.Error.WriteLine(line));
        var path = RunEvaluation.Save(report);
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            Console.Write(EvaluationReportText.Render(report));
        else
        {
            foreach (var line in EvaluationReportText.Header(report)) AnsiConsole.MarkupLine(Markup.Escape(line));
            var table = new Table().AddColumns("group", "n", "metric").AddColumn("before", c => c.RightAligned())
                .AddColumn("after", c => c.RightAligned()).AddColumn("delta", c => c.RightAligned());
            foreach (var r in report.Rows())
                table.AddRow(Markup.Escape(r.Group), r.Records.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(r.Metric),
                    r.Format(r.Before), r.Format(r.After), r.Format(r.Delta, signed: true));
            AnsiConsole.Write(table);
        }
        Console.WriteLine($"wrote {path}");
        return report;
    }
}
