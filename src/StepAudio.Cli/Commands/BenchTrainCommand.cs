using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using StepAudio.Bench;
using StepAudio.Config;
using StepAudio.Training;
using TorchSharp;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio bench-train [--config F] [--mode llm|flow|both] [--steps N] [--threads T] [--io default|rare]</c>: runs
/// the staged trainer for N steps per stage (runs in a temporary folder) and prints per stage steps/s, the share of
/// wall time outside the steps from epoch 2 on with its breakdown, and the live-tensor count and RSS every 100 steps.
/// Driven by scripts/bench-train.sh.
/// </summary>
public static class BenchTrainCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "YAML config (default: the embedded default, configs/tiny.yaml)" };
        var mode = new Option<string>("--mode") { Description = "llm | flow | both", DefaultValueFactory = _ => "both" };
        mode.AcceptOnlyFromAmong("llm", "flow", "both");
        var steps = new Option<int>("--steps") { Description = "steps each stage reaches at least (whole epochs)", DefaultValueFactory = _ => 1000 };
        var threads = new Option<int>("--threads") { Description = "torch threads (0: the config's num_threads)", DefaultValueFactory = _ => 2 };
        var io = new Option<string>("--io")
        {
            Description = "default: the config's validation/checkpoint intervals; rare: validate at each stage's last epoch only, no epoch checkpoints, last/ at epoch ends only",
            DefaultValueFactory = _ => "default",
        };
        io.AcceptOnlyFromAmong("default", "rare");
        var sampleEvery = new Option<int>("--sample-every") { Description = "steps between live-tensor/RSS samples", DefaultValueFactory = _ => 100 };
        var noTensorBoard = new Option<bool>("--no-tensorboard") { Description = "do not write TensorBoard event files" };
        var keep = new Option<DirectoryInfo?>("--runs-dir") { Description = "put the run here and keep it (default: a temporary folder, deleted)" };
        var json = new Option<bool>("--json") { Description = "also print the whole report as one JSON line" };
        var command = new Command("bench-train", "Benchmark the staged trainer: steps/s, overhead outside the steps from epoch 2 on, live tensors and RSS");
        foreach (var o in new Option[] { config, mode, steps, threads, io, sampleEvery, noTensorBoard, keep, json }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            if (parse.GetValue(steps) < 1) throw new InputException("--steps", null, null, "must be at least 1", "pass --steps N");
            if (parse.GetValue(sampleEvery) < 1) throw new InputException("--sample-every", null, null, "must be at least 1", "pass --sample-every N");
            var path = parse.GetValue(config)?.FullName ?? DefaultConfig.Locate();
            var cfg = ConfigLoader.Load(path);
            int t = parse.GetValue(threads);
            if (t > 0) torch.set_num_threads(t);
            else if (cfg.NumThreads > 0) torch.set_num_threads(cfg.NumThreads);
            BenchMachine.Print();
            var options = new TrainingBenchOptions
            {
                Mode = Enum.Parse<TrainMode>(parse.GetValue(mode)!, ignoreCase: true), Steps = parse.GetValue(steps),
                Threads = t > 0 ? t : null, SampleEvery = parse.GetValue(sampleEvery), RareIo = parse.GetValue(io) == "rare",
                TensorBoard = !parse.GetValue(noTensorBoard), RunsDir = parse.GetValue(keep)?.FullName,
            };
            var (report, peak) = BenchMachine.Bracketed(torch.get_num_threads(), () => TrainingBench.Run(cfg, options));
            Console.WriteLine(Text(report, Path.GetRelativePath(Environment.CurrentDirectory, path), options.Steps, peak));
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions
                {
                    PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
                    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
                    Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
                }));
            return StepAudioCli.Success;
        }));
        return command;
    }

    static double Ms(double seconds, int count) => count == 0 ? 0 : 1000 * seconds / count;

    /// <summary>The readable report; with <paramref name="peak"/>, each stage's GFLOP/s in its steps and their share of it.</summary>
    public static string Text(TrainingBenchReport r, string configName, int steps, PeakGflops? peak = null)
    {
        var ci = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Format(ci, "bench-train: {0}, mode {1}, {2} steps per stage, io {3}, {4} threads; data and models prepared in {5:F1} s",
                configName, r.Mode.ToString().ToLowerInvariant(), steps, r.RareIo ? "rare" : "default", r.Threads, r.PrepareSeconds),
            "  config: " + r.Config,
        };
        var spread = r.LiveTensorSpread;
        foreach (var s in r.Stages)
        {
            lines.Add(string.Format(ci, "stage {0} ({1}): {2} steps ({3} epochs x {4}{5}) in {6:F1} s: {7:F2} steps/s wall, {8:F2} steps/s in steps, median step {9:F1} ms",
                (int)s.Stage, s.Stage.ToString().ToLowerInvariant(), s.Steps, s.Epochs, s.StepsPerEpoch,
                s.SkippedSteps > 0 ? $", {s.SkippedSteps} skipped" : "", s.WallSeconds, s.StepsPerSecond, s.ComputeStepsPerSecond, s.MedianStepMs));
            if (peak is not null && r.FlopsPerEpoch.FirstOrDefault(f => f.Stage == s.Stage) is { } f)
            {
                // Every epoch has the same batches (bucketed by length), so the epochs' FLOPs are epochs × one epoch's.
                var parts = string.Join(", ", new[] { f.LlmFlops > 0 ? "LLM " + BenchMachine.DtypeName(f.LlmDtype) : null, f.FlowFlops > 0 ? "flow fp32" : null }.OfType<string>());
                lines.Add(string.Format(ci, "  FLOPs: {0:F3} GFLOP/step (hardware, mean), {1:F1} GFLOP/s in the steps = {2:F1} % of the measured peak ({3})",
                    f.Total / s.StepsPerEpoch / 1e9, s.Epochs * f.Total / s.StepSeconds / 1e9, 100 * s.Epochs * f.IdealSeconds(peak) / s.StepSeconds, parts));
            }
            lines.Add(string.Format(ci, "  from epoch 2 on: {0:F2} s wall, {1:F2} s in {2} steps -> outside the steps {3:F2} s = {4:F1} % (goal < 5 %)",
                s.WindowSeconds, s.WindowStepSeconds, s.WindowSteps, s.OverheadSeconds, 100 * s.OverheadShare));
            lines.Add(string.Format(ci, "    validation {0:F2} s ({1}x {2:F1} ms), checkpoints (best/epoch) {3:F2} s ({4}x {5:F1} ms), last/ state {6:F2} s ({7}x {8:F1} ms), event subscribers (logs, TensorBoard) {9:F2} s, other (batching, step-scope disposal) {10:F2} s",
                s.ValidationSeconds, s.Validations, Ms(s.ValidationSeconds, s.Validations), s.CheckpointSeconds, s.Checkpoints,
                Ms(s.CheckpointSeconds, s.Checkpoints), s.StateSeconds, s.StateSaves, Ms(s.StateSeconds, s.StateSaves), s.SubscriberSeconds, s.OtherSeconds));
            var samples = r.Samples.Where(x => x.Stage == s.Stage).ToList();
            if (samples.Count == 0) { lines.Add("  no live-tensor samples (fewer steps than --sample-every)"); continue; }
            lines.Add("  at steps:           " + string.Join(" ", samples.Select(x => x.Step.ToString(ci))));
            lines.Add("  live tensors:       " + string.Join(" ", samples.Select(x => x.ThreadLiveTensors.ToString(ci))) +
                      (spread[s.Stage] is { } d
                          ? string.Format(ci, " -> {0} (max - min after the first: {1}; flat means <= {2})", d <= TrainingBench.FlatTolerance ? "flat" : "GROWING", d, TrainingBench.FlatTolerance)
                          : " (too few samples to judge)"));
            lines.Add("  Tensor.TotalCount:  " + string.Join(" ", samples.Select(x => x.TotalTensors.ToString(ci))));
            lines.Add("  RSS MB:             " + string.Join(" ", samples.Select(x => (x.RssBytes / 1048576.0).ToString("F0", ci))));
        }
        lines.Add("live tensors: " + (spread.Values.All(v => v is null) ? "too few samples to judge (lower --sample-every)"
            : r.LiveTensorsFlat ? "flat in every stage" : "GROWING (a leak: see the series above)"));
        return string.Join(Environment.NewLine, lines);
    }
}
