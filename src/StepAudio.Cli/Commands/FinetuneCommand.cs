using System.CommandLine;
using StepAudio.Config;
using StepAudio.Training;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio finetune [--config F] [--mode M] [--output DIR] [--resume] [--init-from CKPT] [--memory SIZE] [--force] [--device D]</c>:
/// the staged trainer, which refuses to start when its memory plan exceeds <c>--memory</c> (default: MemAvailable) unless <c>--force</c>.
/// No <c>--config</c> trains the embedded default (<c>configs/tiny.yaml</c> and <c>data-samples/</c>).
/// </summary>
public static class FinetuneCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "YAML config (default: the embedded default, configs/tiny.yaml)" };
        var mode = new Option<string?>("--mode") { Description = "flow | llm | both (default: the config's train_mode)" };
        mode.AcceptOnlyFromAmong("flow", "llm", "both");
        var output = new Option<DirectoryInfo?>("--output") { Description = "run folder (default: a new run-NNN under save.ckpt_dir)" };
        var resume = new Option<bool>("--resume") { Description = "continue the run in --output (or the newest under save.ckpt_dir) from last/" };
        var allowChanges = new Option<bool>("--allow-changes") { Description = "resume even if the config or manifests changed" };
        var overwrite = new Option<bool>("--overwrite") { Description = "replace the run already in --output" };
        var initFrom = new Option<string[]>("--init-from") { Description = "start from the weights of llm_*.pt / flow_*.pt / a run folder (repeatable)", AllowMultipleArgumentsPerToken = false };
        var noTensorBoard = new Option<bool>("--no-tensorboard") { Description = "do not write TensorBoard event files" };
        var evaluate = new Option<bool>("--evaluate") { Description = "then evaluate the run (as stepaudio evaluate): table and eval.json" };
        var memory = new Option<string?>("--memory") { Description = "memory the run may use, e.g. 16GB or 512MiB (default: MemAvailable); a run whose plan exceeds it does not start" };
        var force = new Option<bool>("--force") { Description = "start even when the memory plan says the run will not fit" };
        var device = DeviceOption.Create();
        var command = new Command("finetune", "Fine-tune: stage 1 LLM LoRA, stage 2 flow decoder, stage 3 both (by --mode / train_mode)");
        foreach (var o in new Option[] { config, mode, output, resume, allowChanges, overwrite, initFrom, noTensorBoard, evaluate, memory, force, device }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var cfg = DeviceOption.Apply(ConfigLoader.Load(parse.GetValue(config)?.FullName ?? DefaultConfig.Locate()), parse, device);
            // On a GPU the host's MemAvailable says nothing: the plan is checked only against an explicit --memory there.
            bool cuda = DeviceOption.IsCuda(cfg);
            var options = new TrainerOptions
            {
                Mode = parse.GetValue(mode) is { } m ? Enum.Parse<TrainMode>(m, ignoreCase: true) : null,
                Folder = new RunFolderOptions
                {
                    Output = parse.GetValue(output)?.FullName, Resume = parse.GetValue(resume),
                    AllowChanges = parse.GetValue(allowChanges), Overwrite = parse.GetValue(overwrite),
                },
                InitFrom = parse.GetValue(initFrom) ?? [],
                TensorBoard = !parse.GetValue(noTensorBoard),
                MemoryBudget = cuda && parse.GetValue(memory) is null ? null : PlanCommand.Budget(parse.GetValue(memory), cuda),
                Force = parse.GetValue(force),
            };
            if (options.Folder.Resume && options.InitFrom.Count > 0)
                throw new UsageException("--init-from cannot be combined with --resume (a resumed run continues from its own last/ state)");
            var trainer = new Trainer(cfg, options);
            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                if (cancel.IsCancellationRequested) return;   // a second Ctrl-C ends the process at once
                e.Cancel = true;
                cancel.Cancel();
                Console.Error.WriteLine("stopping after this step; saving last/ (Ctrl-C again to kill)");
            };
            Console.CancelKeyPress += onCancel;
            try
            {
                var summary = TrainingProgress.Run(trainer, cancel.Token);
                Console.WriteLine(SummaryText(summary));
                if (parse.GetValue(evaluate) && !summary.Cancelled) EvaluateCommand.Evaluate(summary.RunDirectory, new Evaluation.EvaluationOptions());
                return StepAudioCli.Success;
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        }));
        return command;
    }

    static string SummaryText(TrainingSummary s)
    {
        var lines = new List<string> { s.Cancelled ? $"stopped: resume with --resume --output {s.RunDirectory}" : $"done: {s.RunDirectory}" };
        if (s.Step0LlmLoss is { } l0) lines.Add($"  llm  val loss {l0:F4} at step 0 → best {s.BestLlmLoss:F4} ({s.BestLlmCheckpoint})");
        if (s.Step0FlowLoss is { } f0) lines.Add($"  flow val loss {f0:F4} at step 0 → best {s.BestFlowLoss:F4} ({s.BestFlowCheckpoint})");
        foreach (var st in s.Stages)
            lines.Add($"  stage {(int)st.Stage}: {st.Steps} steps in {st.Seconds:F1} s" +
                      (st.Stage == TrainingStage.Joint ? $", joint val {st.StartJointLoss:F4} → {st.EndJointLoss:F4}" : ""));
        return string.Join(Environment.NewLine, lines);
    }
}
