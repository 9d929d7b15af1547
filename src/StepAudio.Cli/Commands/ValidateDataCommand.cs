using System.CommandLine;
using StepAudio.Config;
using StepAudio.Data;

namespace StepAudio.Cli.Commands;

/// <summary><c>stepaudio validate-data MANIFEST... [--config F] [--mode flow|llm|both] [--no-prosody]</c>: checks manifests and audio.</summary>
public static class ValidateDataCommand
{
    public static Command Create()
    {
        var manifests = new Argument<string[]>("MANIFEST")
        {
            Description = "JSONL manifests, e.g. train.jsonl val.jsonl (default: the config's data.train_path and data.val_path)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var config = new Option<FileInfo>("--config") { Description = "YAML config (filters, sample rate, train_mode)" };
        var mode = new Option<string>("--mode") { Description = "flow | llm | both (default: the config's train_mode, else both)" };
        mode.AcceptOnlyFromAmong("flow", "llm", "both");
        var noProsody = new Option<bool>("--no-prosody") { Description = "Skip the pitch and energy statistics of target clips" };
        var command = new Command("validate-data",
            "Check manifests and their audio; prints a report and exits 1 when there are errors");
        command.Arguments.Add(manifests);
        command.Options.Add(config);
        command.Options.Add(mode);
        command.Options.Add(noProsody);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var cfgFile = parse.GetValue(config);
            var cfg = cfgFile != null ? ConfigLoader.Load(cfgFile.FullName) : new StepAudioConfig();
            var paths = parse.GetValue(manifests) ?? Array.Empty<string>();
            if (paths.Length == 0)
                paths = new[] { cfg.Data.TrainPath, cfg.Data.ValPath }.Where(p => !string.IsNullOrEmpty(p)).ToArray()!;
            if (paths.Length == 0)
                throw new InputException("validate-data", null, "MANIFEST", "no manifest given",
                    "name the JSONL files, or pass --config with data.train_path / data.val_path");
            var trainMode = parse.GetValue(mode) is { } m ? Enum.Parse<TrainMode>(m, ignoreCase: true) : cfg.TrainMode;
            var report = ManifestValidator.Validate(paths, cfg.Data, trainMode, !parse.GetValue(noProsody));
            Console.WriteLine(DataReportText.Render(report));
            return report.HasErrors ? 1 : 0;
        }));
        return command;
    }
}
