using StepAudio.Bench;
using System.CommandLine;
using StepAudio.Vocoder;

namespace StepAudio.Cli.Commands;

/// <summary><c>stepaudio bench-vocoder [--seconds 10] [--threads 2] [--iterations 32] [--repeats 3]</c>: vocoder real-time factors.</summary>
public static class BenchVocoderCommand
{
    public static Command Create()
    {
        var seconds = new Option<double>("--seconds") { Description = "Seconds of 24 kHz mel to vocode", DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads", DefaultValueFactory = _ => 2 };
        var iterations = new Option<int>("--iterations") { Description = "Griffin-Lim iterations", DefaultValueFactory = _ => 32 };
        var repeats = new Option<int>("--repeats") { Description = "Timed calls per vocoder (median reported)", DefaultValueFactory = _ => 3 };
        var command = new Command("bench-vocoder",
            "Real-time factor of HiFT (shipped size, random weights) and Griffin-Lim on the same mel");
        foreach (var o in new Option[] { seconds, threads, iterations, repeats }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            BenchMachine.Print();
            var results = VocoderBench.Run(parse.GetValue(seconds), parse.GetValue(threads), parse.GetValue(iterations),
                parse.GetValue(repeats), Console.Error.WriteLine);
            foreach (var r in results) Console.WriteLine(r);
            return 0;
        }));
        return command;
    }
}
