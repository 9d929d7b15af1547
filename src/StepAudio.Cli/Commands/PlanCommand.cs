using System.CommandLine;
using Spectre.Console;
using StepAudio.Config;
using StepAudio.Training.Planning;
using static TorchSharp.torch;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio plan [--config F] [--mode M] [--device cpu|cuda] [--memory SIZE] [--llm-dtype fp32|bf16] [--checkpointing]</c>:
/// predicts each stage's memory (weights, gradients, optimizer, EMA, activations, runtime) from the config's presets or
/// checkpoint headers, without loading weights, and says whether it fits the budget and what to change if not.
/// Exit 0 when it fits (or no budget), 1 when it does not, 2 on wrong usage.
/// </summary>
public static class PlanCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "YAML config (default: the embedded default, configs/tiny.yaml)" };
        var mode = new Option<string?>("--mode") { Description = "flow | llm | both (default: the config's train_mode)" };
        mode.AcceptOnlyFromAmong("flow", "llm", "both");
        var device = DeviceOption.Create();   // only the kind matters: no GPU is needed to plan
        var memory = new Option<string?>("--memory") { Description = "the budget, e.g. 16GB or 512MiB (cpu default: MemAvailable; cuda: required)" };
        var dtype = new Option<string?>("--llm-dtype") { Description = "dtype of the LLM's frozen base: fp32 or bf16 (default: the config's model.llm.base_dtype)" };
        dtype.AcceptOnlyFromAmong("fp32", "bf16");
        var checkpointing = new Option<bool>("--checkpointing") { Description = "assume the LLM's per-layer activation checkpointing (default: the config's model.llm.gradient_checkpointing; the flow is never checkpointed)" };
        var command = new Command("plan", "Predict the memory of each training stage and check it against a budget, without loading weights");
        foreach (var o in new Option[] { config, mode, device, memory, dtype, checkpointing }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var cfg = DeviceOption.Apply(ConfigLoader.Load(parse.GetValue(config)?.FullName ?? DefaultConfig.Locate()), parse, device);
            bool cuda = DeviceOption.IsCuda(cfg);
            long budget = Budget(parse.GetValue(memory), cuda) ?? throw new UsageException("no budget: /proc/meminfo has no MemAvailable here; pass --memory");
            var inputs = PlanInputs.FromConfig(cfg, parse.GetValue(mode) is { } m ? Enum.Parse<TrainMode>(m, ignoreCase: true) : null,
                parse.GetValue(dtype) switch { "bf16" => ScalarType.BFloat16, "fp32" => ScalarType.Float32, _ => null }, parse.GetValue(checkpointing) ? true : null);
            var plan = MemoryPlanner.Plan(inputs, budget);
            if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive) Console.WriteLine(plan.ToText());
            else Show(plan);
            return plan.Verdict == PlanVerdict.DoesNotFit ? StepAudioCli.BadInput : StepAudioCli.Success;
        }));
        return command;
    }

    /// <summary>
    /// The budget in bytes: <paramref name="memory"/> parsed (a bad value is a usage error), else MemAvailable on the
    /// CPU; on CUDA <c>--memory</c> is required, since the host's memory says nothing about the GPU's.
    /// </summary>
    public static long? Budget(string? memory, bool cuda)
    {
        if (memory is not null)
            return ByteSize.TryParse(memory, out var bytes) ? bytes
                : throw new UsageException($"--memory '{memory}' is not a size; write e.g. 16GB, 512MiB or 1.5GiB");
        if (cuda) throw new UsageException("--memory is required with --device cuda (the GPU's memory, e.g. 80GB)");
        return SystemMemory.Available();
    }

    static void Show(MemoryPlan plan)
    {
        AnsiConsole.MarkupLine("[bold]memory plan[/] (" + Markup.Escape(MemoryPlan.Describe(plan.Inputs)) + ")");
        var table = new Table().AddColumns(StageMemory.Columns.ToArray());
        foreach (var s in plan.Stages) table.AddRow(s.Cells().Select(Markup.Escape).ToArray());
        AnsiConsole.Write(table);
        var colour = plan.Verdict switch { PlanVerdict.DoesNotFit => "red", PlanVerdict.Tight => "yellow", _ => "green" };
        AnsiConsole.MarkupLine($"[{colour}]{Markup.Escape(plan.VerdictText)}[/]");
        foreach (var (a, i) in plan.Advice.Select((a, i) => (a, i)))
            AnsiConsole.MarkupLine(Markup.Escape($"  {i + 1}. {a.Text}"));
    }
}
