using System.CommandLine;
using System.Globalization;
using StepAudio.Audio;
using StepAudio.Bench;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio bench-features [--dir D] [--seconds S] [--repeats N] [--threads T] [--save-synthetic F]</c>: times
/// resampling and the log-mel per clip (see <see cref="FeatureBench"/>); <c>RESULT</c> lines are for scripts.
/// </summary>
public static class BenchFeaturesCommand
{
    public static Command Create()
    {
        var dir = new Option<DirectoryInfo>("--dir") { Description = "Folder of WAV files (searched recursively); missing = synthetic clip only", DefaultValueFactory = _ => new DirectoryInfo("data-samples") };
        var seconds = new Option<double>("--seconds") { Description = "Length of the synthetic clip", DefaultValueFactory = _ => 10 };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per clip (fastest kept), after one warm-up", DefaultValueFactory = _ => 5 };
        var threads = new Option<int>("--threads") { Description = "torch threads", DefaultValueFactory = _ => 2 };
        var save = new Option<FileInfo?>("--save-synthetic") { Description = "Also write the synthetic clip to this WAV (16-bit PCM) so other tools can time the same audio" };
        var command = new Command("bench-features", "Time resampling and the 24 kHz log-mel per clip");
        foreach (var o in new Option[] { dir, seconds, repeats, threads, save }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            BenchMachine.Print();
            var folder = parse.GetValue(dir)!.FullName;
            double s = parse.GetValue(seconds);
            if (parse.GetValue(save) is { } file)
                WavFile.Write(file.FullName, FeatureBench.SyntheticClip(s));
            Console.WriteLine(Directory.Exists(folder) ? $"folder {folder}" : $"folder {folder} not found: synthetic clip only");
            Console.WriteLine($"{"clip",-40} {"rate",6} {"ch",2} {"sec",6} {"frames",6} {"resample ms",11} {"mel ms",8} {"total ms",9}");
            var result = FeatureBench.Run(folder, s, parse.GetValue(repeats), parse.GetValue(threads), progress: Row);
            foreach (var skipped in result.Skipped) Console.WriteLine("skipped: " + skipped);
            if (result.FolderMean is { } mean) Result("folder", result.Clips.Count, mean);
            Result("synthetic", 1, result.Synthetic);
            return 0;
        }));
        return command;
    }

    static void Row(FeatureBenchClip c) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{Trim(c.Name),-40} {c.SampleRate,6} {c.Channels,2} {c.Seconds,6:F2} {c.MelFrames,6} {c.ResampleMs,11:F3} {c.MelMs,8:F3} {c.TotalMs,9:F3}"));

    static void Result(string what, int clips, FeatureBenchClip c) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"RESULT {what} clips={clips} seconds={c.Seconds:F3} resample_ms={c.ResampleMs:F3} mel_ms={c.MelMs:F3} total_ms={c.TotalMs:F3}"));

    static string Trim(string s) => s.Length <= 40 ? s : "…" + s[^39..];
}
