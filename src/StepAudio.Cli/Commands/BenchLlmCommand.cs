using StepAudio.Bench;
using System.CommandLine;
using System.Text.Json;
using StepAudio.Llm;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio bench-llm</c>: LoRA training-step timing (<c>--write</c> the shared case files, or run them) and the
/// loader's peak memory (<c>--loader-write</c> / <c>--loader-load</c>). Driven by scripts/bench-llm.sh.
/// </summary>
public static class BenchLlmCommand
{
    public static Command Create()
    {
        var dir = new Option<DirectoryInfo>("--dir") { Description = "Folder for the case files / synthetic checkpoint", Required = true };
        var cases = new Option<string>("--cases") { Description = "Comma-separated cases: tiny, small, tiny-bf16, small-bf16", DefaultValueFactory = _ => "tiny,small" };
        var threads = new Option<int>("--threads") { Description = "Torch threads", DefaultValueFactory = _ => 2 };
        var steps = new Option<int>("--steps") { Description = "Timed steps per case (after one warm-up step)", DefaultValueFactory = _ => 3 };
        var write = new Option<bool>("--write") { Description = "Write the case files instead of running them" };
        var loaderWrite = new Option<double>("--loader-write-gb") { Description = "Write a synthetic bf16 sharded checkpoint of this size" };
        var loaderLoad = new Option<bool>("--loader-load") { Description = "Load the synthetic checkpoint and report peak RSS" };
        var command = new Command("bench-llm", "Benchmark Step1 LoRA training steps and checkpoint loading");
        foreach (var o in new Option[] { dir, cases, threads, steps, write, loaderWrite, loaderLoad }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            BenchMachine.Print();
            var folder = parse.GetValue(dir)!.FullName;
            if (parse.GetValue(loaderWrite) is > 0 and var gb)
            {
                Step1LoaderBench.Write(folder, (long)(gb * 1e9));
                return 0;
            }
            if (parse.GetValue(loaderLoad))
            {
                var r = Step1LoaderBench.Load(folder);
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    side = "csharp-loader", checkpoint_bytes = r.CheckpointBytes, rss_before_bytes = r.RssBeforeBytes,
                    peak_rss_bytes = r.PeakRssBytes, peak_over_size = r.PeakOverSize, growth_over_size = r.GrowthOverSize,
                    seconds = r.Seconds,
                }));
                return 0;
            }
            Directory.CreateDirectory(folder);
            foreach (var name in parse.GetValue(cases)!.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var c = Step1BenchCase.Named(name, parse.GetValue(steps));
                var path = Path.Combine(folder, c.Name.Replace("-ckpt", "", StringComparison.Ordinal).Replace("-bf16", "", StringComparison.Ordinal) + ".safetensors");
                if (parse.GetValue(write))
                {
                    Step1LoraBench.WriteCase(c, path);
                    continue;
                }
                var (r, peak) = BenchMachine.Bracketed(parse.GetValue(threads), () => Step1LoraBench.Run(c, path, parse.GetValue(threads)));
                var t = Throughput.Of(c.Flops, r.MsPerStep / 1000, r.CpuSecondsPerStep, peak.For(c.BaseDtype));
                Console.Error.WriteLine("# " + t.Describe(c.Name, BenchMachine.DtypeName(c.BaseDtype)));
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    side = "csharp", @case = r.Name, step0_loss = r.Step0Loss, ms_per_step = r.MsPerStep,
                    steps = r.TimedSteps, threads = r.Threads, guard = StepAudio.Platform.CpuConvolutionGuard.Active,
                    flops = t.Json,
                }));
            }
            return 0;
        }));
        return command;
    }
}
