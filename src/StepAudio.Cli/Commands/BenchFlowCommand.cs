using StepAudio.Bench;
using System.CommandLine;
using System.Text.Json;
using StepAudio.Flow;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio bench-flow --size tiny|small|real --dir D</c>: prepares D (weights, batch, draws) unless <c>--reuse</c>,
/// then times flow CFM training steps and prints one JSON line (used by scripts/bench-flow.sh).
/// </summary>
public static class BenchFlowCommand
{
    public static Command Create()
    {
        var size = new Option<string>("--size") { Description = string.Join(", ", FlowTrainingBench.Sizes), DefaultValueFactory = _ => "tiny" };
        var dir = new Option<DirectoryInfo>("--dir") { Description = "folder for weights.safetensors, inputs.safetensors, config.json", Required = true };
        var steps = new Option<int>("--steps") { Description = "timed steps", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "untimed steps first (step 0 gives the reported loss)", DefaultValueFactory = _ => 2 };
        var threads = new Option<int>("--threads") { Description = "torch threads", DefaultValueFactory = _ => 2 };
        var seed = new Option<int>("--seed") { Description = "seed of weights, batch and draws", DefaultValueFactory = _ => 0 };
        var reuse = new Option<bool>("--reuse") { Description = "use the files already in --dir" };
        var prepareOnly = new Option<bool>("--prepare-only") { Description = "write the files into --dir and stop" };
        var command = new Command("bench-flow", "Time a flow CFM training step (frozen encoder, DiT + AdamW)");
        foreach (var o in new Option[] { size, dir, steps, warmup, threads, seed, reuse, prepareOnly }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            BenchMachine.Print();
            var folder = parse.GetValue(dir)!.FullName;
            var sizeName = parse.GetValue(size)!;
            if (!FlowTrainingBench.Sizes.Contains(sizeName))
                throw new InputException("--size", null, null, $"unknown size '{sizeName}'", "use one of: " + string.Join(", ", FlowTrainingBench.Sizes));
            if (!parse.GetValue(reuse)) FlowTrainingBench.Prepare(folder, sizeName, parse.GetValue(seed));
            if (parse.GetValue(prepareOnly)) return 0;
            if (parse.GetValue(steps) < 1) throw new InputException("--steps", null, null, "must be at least 1", "pass --steps N");
            var (r, peak) = BenchMachine.Bracketed(parse.GetValue(threads),
                () => FlowTrainingBench.Run(folder, parse.GetValue(steps), parse.GetValue(warmup), parse.GetValue(threads)));
            // The flow trains in float32: its share is of the float32 peak.
            var t = Throughput.Of(r.Flops, r.MsPerStep / 1000, r.CpuSecondsPerStep, peak.Float32);
            Console.Error.WriteLine("# " + t.Describe($"flow {r.Size}, median step", "float32"));
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                side = "csharp", size = r.Size, loss0 = r.Step0Loss, ms_per_step = r.MsPerStep, mean_ms_per_step = r.MeanMsPerStep, steps = r.Steps,
                threads = r.Threads, trainable = r.TrainableParameters, peak_rss_bytes = r.PeakRssBytes, flops = t.Json,
            }));
            return 0;
        }));
        return command;
    }
}
