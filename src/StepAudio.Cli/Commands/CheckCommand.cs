using System.CommandLine;

namespace StepAudio.Cli.Commands;

/// <summary><c>stepaudio check --config F</c>: validates a config and prints the resolved result.</summary>
public static class CheckCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "YAML config file", Required = true };
        var command = new Command("check", "Validate a training config and print the resolved values");
        command.Options.Add(config);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var path = parse.GetValue(config)!.FullName;
            Console.WriteLine($"config {path}: not yet validated");
            return 1;
        }));
        return command;
    }
}
