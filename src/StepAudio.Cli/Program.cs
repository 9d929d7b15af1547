using System.CommandLine;
using StepAudio.Cli.Commands;

// Each command lives in Commands/<Name>Command.cs with a static Create(); the logic it calls lives in src/StepAudio.
var root = new RootCommand("stepaudio: fine-tune Step-Audio-EditX (LLM LoRA, flow decoder) from C#");
foreach (var command in new[]
         {
             CheckCommand.Create(),
             SystemCommand.Create(),
             PrepareCommand.Create(),
             ValidateDataCommand.Create(),
             MakeManifestCommand.Create(),
             BenchFeaturesCommand.Create(),
             BenchVocoderCommand.Create(),
             BenchLlmCommand.Create(),
             BenchFlowCommand.Create(),
         })
    root.Subcommands.Add(command);
return root.Parse(args).Invoke();
