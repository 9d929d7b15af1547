using System.CommandLine;
using System.Text.Json;
using StepAudio.Bench;
using static TorchSharp.torch;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio bench-real-size --model DIR</c>: times stage-1 training steps with a bf16 (or `--base-dtype fp32`) base on a real-size Step1
/// folder (scripts/make-real-size.sh) and reports peak RSS as one JSON line. Driven by scripts/bench-real-size.sh.
/// </summary>
public static class BenchRealSizeCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "The Step-Audio-EditX folder", Required = true };
        var tokens = new Option<int>("--tokens") { Description = "Sequence length (prompt + target)", DefaultValueFactory = _ => 1000 };
        var prompt = new Option<int>("--prompt") { Description = "Leading positions not scored", DefaultValueFactory = _ => 400 };
        var steps = new Option<int>("--steps") { Description = "Training steps (the first includes warm-up)", DefaultValueFactory = _ => 2 };
        var threads = new Option<int>("--threads") { Description = "Torch threads", DefaultValueFactory = _ => 2 };
        var checkpointing = new Option<bool>("--gradient-checkpointing") { Description = "Recompute each decoder layer in backward (model.llm.gradient_checkpointing)" };
        var dtype = new Option<string>("--base-dtype") { Description = "bf16 | fp32 (model.llm.base_dtype)", DefaultValueFactory = _ => "bf16" };
        dtype.AcceptOnlyFromAmong("bf16", "fp32");
        var device = new Option<string>("--device") { Description = "cpu | cuda | cuda:N", DefaultValueFactory = _ => "cpu" };
        var command = new Command("bench-real-size", "Time real-size LLM LoRA training steps and report peak memory and the share of the measured peak");
        foreach (var o in new Option[] { model, tokens, prompt, steps, threads, checkpointing, dtype, device }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            BenchMachine.Print();
            var baseDtype = parse.GetValue(dtype) == "fp32" ? ScalarType.Float32 : ScalarType.BFloat16;
            var (r, peak) = BenchMachine.Bracketed(parse.GetValue(threads), () => RealSizeStepBench.Run(parse.GetValue(model)!.FullName,
                parse.GetValue(tokens), parse.GetValue(prompt), parse.GetValue(steps), parse.GetValue(threads), parse.GetValue(checkpointing), baseDtype,
                Platform.TorchDevices.Resolve(parse.GetValue(device)!)));
            var t = Throughput.Of(r.Flops, r.StepSeconds[^1], r.StepCpuSeconds[^1], peak.For(baseDtype));
            Console.Error.WriteLine("# " + t.Describe("real size, last step", parse.GetValue(dtype)!));
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                side = "csharp", checkpoint_bytes = r.CheckpointBytes, load_seconds = r.LoadSeconds,
                rss_after_load_bytes = r.RssAfterLoadBytes, peak_rss_bytes = r.PeakRssBytes, step0_loss = r.Step0Loss,
                step_seconds = r.StepSeconds, gradient_checkpointing = parse.GetValue(checkpointing), base_dtype = parse.GetValue(dtype),
                step_cpu_seconds = r.StepCpuSeconds, flops = t.Json,
            }));
            return StepAudioCli.Success;
        }));
        return command;
    }
}
