using System.CommandLine;
using StepAudio.Config;

namespace StepAudio.Cli.Commands;

/// <summary><c>stepaudio check --config F</c>: validates a config and prints the resolved result.</summary>
public static class CheckCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "YAML config file", Required = true };
        var command = new Command("check", "Validate a training config and print it resolved (paths absolute, defaults filled in)");
        command.Options.Add(config);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var loaded = ConfigLoader.Load(parse.GetValue(config)!.FullName);
            Console.Write(ConfigWriter.ToYaml(loaded));
            foreach (var problem in ConfigValidator.MissingPaths(loaded))
                Console.Error.WriteLine("warning: " + problem);
            Console.Error.WriteLine($"{loaded.SourcePath}: valid");
            return 0;
        }));
        return command;
    }
}
