using System.CommandLine;
using StepAudio.Training;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio export --run DIR --format peft|merged|official OUT [--checkpoint best|epoch_N|last] [--overwrite]</c>:
/// a run's checkpoint as a PEFT adapter, a merged Hugging Face LLM folder, or the released model folder's layout
/// (see <see cref="RunExport"/>).
/// </summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var run = new Option<DirectoryInfo>("--run") { Description = "the run folder stepaudio finetune wrote", Required = true };
        var format = new Option<string>("--format")
        {
            Description = "peft (adapter folder + flow.pt) | merged (HF LLM folder with LoRA merged + flow.pt) | official (the released Step-Audio-EditX layout)",
            Required = true,
        };
        format.AcceptOnlyFromAmong("peft", "merged", "official");
        var checkpoint = new Option<string>("--checkpoint")
        {
            Description = "best (default: llm_best/, flow_best.pt) | epoch_N (llm_epoch_N/, flow_epoch_N.pt) | last (the trainable weights in last/)",
            DefaultValueFactory = _ => "best",
        };
        var overwrite = new Option<bool>("--overwrite") { Description = "replace OUT when it exists and is not empty" };
        var output = new Argument<DirectoryInfo>("OUT") { Description = "the folder to write (created; must be empty or new unless --overwrite)" };
        var command = new Command("export", "Export a run's checkpoint: PEFT adapter, merged Hugging Face LLM, or the official model folder layout");
        foreach (var o in new Option[] { run, format, checkpoint, overwrite }) command.Options.Add(o);
        command.Arguments.Add(output);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var result = RunExport.Export(new ExportOptions
            {
                Run = parse.GetValue(run)!.FullName,
                Output = parse.GetValue(output)!.FullName,
                Format = RunExport.ParseFormat(parse.GetValue(format)!),
                Checkpoint = parse.GetValue(checkpoint) ?? "best",
                Overwrite = parse.GetValue(overwrite),
            });
            Console.WriteLine($"exported {result.Format.ToString().ToLowerInvariant()} ({result.Checkpoint}) to {result.Output}");
            foreach (var f in result.Files) Console.WriteLine("  " + f);
            foreach (var n in result.Notes) Console.Error.WriteLine("note: " + n);
            return StepAudioCli.Success;
        }));
        return command;
    }
}
