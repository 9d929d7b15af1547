using System.CommandLine;
using System.Globalization;
using StepAudio.Audio;
using StepAudio.Bench;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio bench-tokenizer [--seconds S] [--repeats N] [--threads T] [--blocks B] [--vq06 F] [--campplus F]
/// [--save-wav F]</c>: real-time factor of the tokenizer's parts (see <see cref="TokenizerBench"/>); <c>RESULT</c> lines are for scripts.
/// </summary>
public static class BenchTokenizerCommand
{
    public static Command Create()
    {
        // The tiny stand-ins of scripts/make-tiny-onnx.py, relative to the repository root (where the script runs).
        string Fixture(string name) => Path.Combine("tests", "fixtures", "onnx", name);
        var seconds = new Option<double>("--seconds") { Description = "Length of the 16 kHz test clip", DefaultValueFactory = _ => 10 };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per part (fastest kept), after one warm-up", DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { Description = "torch threads", DefaultValueFactory = _ => 2 };
        var blocks = new Option<int>("--blocks") { Description = "SANM blocks of the vq02 encoder (real: 50)", DefaultValueFactory = _ => 50 };
        var vq06 = new Option<FileInfo>("--vq06") { Description = "speech_tokenizer_v1.onnx (default: the tiny stand-in)", DefaultValueFactory = _ => new FileInfo(Fixture("tiny_vq06.onnx")) };
        var campplus = new Option<FileInfo>("--campplus") { Description = "campplus.onnx (default: the tiny stand-in)", DefaultValueFactory = _ => new FileInfo(Fixture("tiny_campplus.onnx")) };
        var save = new Option<FileInfo?>("--save-wav") { Description = "Also write the test clip (16-bit PCM) so other tools can time the same audio" };
        var command = new Command("bench-tokenizer", "Time the audio tokenizer's front ends, the vq02 encoder and the ONNX models (real-time factor)");
        foreach (var o in new Option[] { seconds, repeats, threads, blocks, vq06, campplus, save }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            BenchMachine.Print();
            var s = parse.GetValue(seconds);
            if (s <= 0) throw new UsageException("--seconds must be positive");
            var wav = TokenizerBench.Clip16k(s);
            if (parse.GetValue(save) is { } file) WavFile.Write(file.FullName, AudioClip.Mono(wav, 16000));
            Console.WriteLine($"{"part",-36} {"ms",10} {"RTF",8}");
            TokenizerBench.Run(wav, parse.GetValue(repeats), parse.GetValue(threads), parse.GetValue(blocks),
                parse.GetValue(vq06)!.FullName, parse.GetValue(campplus)!.FullName, row =>
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{row.Name,-36} {row.Ms,10:F2} {row.Rtf,8:F4}"));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"RESULT {row.Name} seconds={row.Seconds:F3} ms={row.Ms:F3} rtf={row.Rtf:F5}"));
                });
            return 0;
        }));
        return command;
    }
}
