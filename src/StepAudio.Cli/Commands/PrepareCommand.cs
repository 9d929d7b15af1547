using System.CommandLine;
using StepAudio.Config;
using StepAudio.Data;
using StepAudio.Features;

namespace StepAudio.Cli.Commands;

/// <summary><c>stepaudio prepare --config F</c>: validate the config's data and fill the feature cache.</summary>
public static class PrepareCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "YAML config", Required = true };
        var command = new Command("prepare",
            "Validate the config's train/val manifests and cache every clip's 24 kHz log-mel (exit 1 on data errors)");
        command.Options.Add(config);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var cfg = ConfigLoader.Load(parse.GetValue(config)!.FullName);
            Console.WriteLine($"config   {cfg.SourcePath} (train_mode {cfg.TrainMode.ToString().ToLowerInvariant()})");
            var summary = FeatureExtraction.Run(cfg, p =>
            {
                if (p.Done == p.Total || p.Done % 10 == 0)
                    Console.WriteLine($"features {p.Done}/{p.Total}");
            });
            Console.WriteLine(DataReportText.Render(summary.Report));
            if (summary.Report.HasErrors) return 1;
            Console.WriteLine($"cache    {summary.CacheDirectory}: {summary.Clips} clips, {summary.Hits} cached, " +
                              $"{summary.Computed} computed, {summary.Rebuilt} rebuilt, {summary.MelFrames} mel frames " +
                              $"({summary.MelFrames / 50.0:F1} s) in {summary.Elapsed.TotalSeconds:F1} s");
            return 0;
        }));
        return command;
    }
}
