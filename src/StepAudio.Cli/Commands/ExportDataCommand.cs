using System.CommandLine;
using StepAudio.Config;
using StepAudio.Training;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio export-data (--run DIR | --config F) OUT [--mode llm|flow|both] [--overwrite]</c>: the examples
/// the trainer trains on, as safetensors + JSONL that PyTorch reads (see <see cref="TrainingDataExport"/>).
/// </summary>
public static class ExportDataCommand
{
    public static Command Create()
    {
        var run = new Option<DirectoryInfo?>("--run") { Description = "a run folder: its config, mode and fitted tiny front end (front_end/)" };
        var config = new Option<FileInfo?>("--config") { Description = "a YAML config, instead of --run" };
        var mode = new Option<string?>("--mode") { Description = "llm | flow | both: whose examples (default: the run's mode, else train_mode)" };
        mode.AcceptOnlyFromAmong("flow", "llm", "both");
        var overwrite = new Option<bool>("--overwrite") { Description = "replace OUT when it exists and is not empty" };
        var output = new Argument<DirectoryInfo>("OUT") { Description = "the folder to write (created; must be empty or new unless --overwrite)" };
        var command = new Command("export-data",
            "Export the training examples (LLM input ids and labels, flow tokens, mels and speaker embeddings) per split as " +
            "safetensors + JSONL index + metadata.json, for a PyTorch trainer (scripts/stepaudio_data.py reads them)");
        foreach (var o in new Option[] { run, config, mode, overwrite }) command.Options.Add(o);
        command.Arguments.Add(output);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            if ((parse.GetValue(run) is null) == (parse.GetValue(config) is null))
                throw new UsageException("give exactly one of --run DIR and --config FILE");
            var result = TrainingDataExport.Export(new TrainingDataExportOptions
            {
                Run = parse.GetValue(run)?.FullName,
                Config = parse.GetValue(config)?.FullName,
                Output = parse.GetValue(output)!.FullName,
                Mode = parse.GetValue(mode) is { } m ? Enum.Parse<TrainMode>(m, ignoreCase: true) : null,
                Overwrite = parse.GetValue(overwrite),
            });
            Console.WriteLine($"exported the {result.Mode.ToString().ToLowerInvariant()} training data to {result.Output}");
            foreach (var s in result.Splits)
                Console.WriteLine($"  {s.Name}: {s.Records} records, {s.LlmItems} LLM items, {s.FlowClips} flow clips, " +
                                  $"{s.JointPairs} joint pairs, {s.Filtered} filtered out");
            foreach (var f in result.Files) Console.WriteLine("  " + f);
            return StepAudioCli.Success;
        }));
        return command;
    }
}
