using System.CommandLine;
using System.Globalization;
using StepAudio.Data;

namespace StepAudio.Cli.Commands;

/// <summary><c>stepaudio make-manifest DIR [--out DIR] [--val-ratio 0.2] [--seed 42]</c>: train/val JSONL from a clip folder.</summary>
public static class MakeManifestCommand
{
    public static Command Create()
    {
        var dir = new Argument<DirectoryInfo>("DIR") { Description = "Folder of <speaker>/<clip>.wav with <clip>.txt transcripts" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Where train.jsonl and val.jsonl go (default: DIR)" };
        var valRatio = new Option<double>("--val-ratio") { Description = "Share of each speaker's clips for validation", DefaultValueFactory = _ => 0.2 };
        var seed = new Option<int>("--seed") { Description = "Seed of the split", DefaultValueFactory = _ => 42 };
        var command = new Command("make-manifest",
            "Build train/val manifests of clone pairs (same speaker) from a folder of clips; no clip is in both splits");
        command.Arguments.Add(dir);
        command.Options.Add(output);
        command.Options.Add(valRatio);
        command.Options.Add(seed);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var result = ManifestBuilder.Build(parse.GetValue(dir)!.FullName, parse.GetValue(output)?.FullName,
                parse.GetValue(valRatio), parse.GetValue(seed));
            foreach (var note in result.Notes) Console.Error.WriteLine("note: " + note);
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "wrote {0} ({1} records) and {2} ({3} records) from {4} speakers",
                result.TrainPath, result.TrainRecords, result.ValPath, result.ValRecords, result.Speakers));
            return 0;
        }));
        return command;
    }
}
