using System.CommandLine;

namespace StepAudio.Cli.Commands;

/// <summary>
/// The <c>stepaudio</c> command tree and its one exit-code rule: 0 success; 1 a failure the user fixes in their files or
/// data (a bad config, manifest, audio or checkpoint; validation errors); 2 wrong usage (unknown command or option,
/// missing or malformed option value).
/// </summary>
public static class StepAudioCli
{
    /// <summary>Exit code for success.</summary>
    public const int Success = 0;
    /// <summary>Exit code for a problem in the user's files or data.</summary>
    public const int BadInput = 1;
    /// <summary>Exit code for wrong usage of the command line.</summary>
    public const int Usage = 2;

    /// <summary>Every command; each lives in Commands/&lt;Name&gt;Command.cs with a static Create().</summary>
    public static RootCommand Root()
    {
        var root = new RootCommand("stepaudio: fine-tune Step-Audio-EditX (LLM LoRA, flow decoder) from C#");
        foreach (var command in new[]
                 {
                     CheckCommand.Create(),
                     SystemCommand.Create(),
                     InspectCommand.Create(),
                     PrepareCommand.Create(),
                     FinetuneCommand.Create(),
                     PlanCommand.Create(),
                     CloneCommand.Create(),
                     EditCommand.Create(),
                     EvaluateCommand.Create(),
                     ExportCommand.Create(),
                     ExportDataCommand.Create(),
                     ValidateDataCommand.Create(),
                     MakeManifestCommand.Create(),
                     MakeRandomModelCommand.Create(),
                     BenchFeaturesCommand.Create(),
                     BenchTokenizerCommand.Create(),
                     BenchProsodyCommand.Create(),
                     BenchVocoderCommand.Create(),
                     BenchLlmCommand.Create(),
                     BenchRealSizeCommand.Create(),
                     CheckDeviceCommand.Create(),
                     BenchFlowCommand.Create(),
                     BenchTrainCommand.Create(),
                 })
            root.Subcommands.Add(command);
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; usage errors print one line each and return <see cref="Usage"/>.</summary>
    public static int Run(string[] args)
    {
        var parse = Root().Parse(args);
        if (parse.Errors.Count == 0) return parse.Invoke();
        foreach (var error in parse.Errors) Console.Error.WriteLine("error: " + error.Message);
        Console.Error.WriteLine("see 'stepaudio --help' or 'stepaudio <command> --help'");
        return Usage;
    }
}
