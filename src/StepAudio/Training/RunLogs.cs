using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp.Modules;
using static TorchSharp.torch.utils.tensorboard;

namespace StepAudio.Training;

/// <summary>
/// The run folder's own records of a run, subscribed to its events like any other listener: <c>train.log</c>
/// (readable lines, every <c>log_interval</c> steps and every other event), <c>metrics.jsonl</c> (every step, for
/// tools and resume checks) and TensorBoard scalars and text. Each line is flushed as written, so a killed run keeps
/// everything up to its last step.
/// </summary>
public sealed class RunLogs : IDisposable
{
    readonly StreamWriter log;
    readonly StreamWriter metrics;
    readonly SummaryWriter? tensorBoard;
    readonly int logInterval;

    /// <summary>
    /// Opens the logs of <paramref name="run"/> for appending. When resuming at <paramref name="resumedAtStep"/>, metric
    /// lines of later steps (done after the state that is resumed from, and about to be redone) are dropped first.
    /// </summary>
    public RunLogs(RunFolder run, int logInterval, long? resumedAtStep, bool tensorBoardOn = true)
    {
        this.logInterval = Math.Max(1, logInterval);
        if (resumedAtStep is { } step && File.Exists(run.Metrics))
        {
            var keep = File.ReadAllLines(run.Metrics).Where(l => StepOf(l) is { } s && s <= step).ToArray();
            AtomicFile.WriteAllText(run.Metrics, keep.Length == 0 ? "" : string.Join("\n", keep) + "\n");
        }
        log = Open(run.TrainLog);
        metrics = Open(run.Metrics);
        if (tensorBoardOn) tensorBoard = SummaryWriter(run.TensorBoard, "", false);
    }

    static StreamWriter Open(string path) =>
        new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { AutoFlush = true };

    static long? StepOf(string line)
    {
        try { return JsonNode.Parse(line)?["step"]?.GetValue<long>(); }
        catch (JsonException) { return null; }   // a line cut by a kill
    }

    /// <summary>Handles one event (pass to <see cref="TrainingEvents.Subscribe"/>).</summary>
    public void Handle(TrainingEvent e)
    {
        switch (e)
        {
            case StepCompleted s:
                metrics.WriteLine(new JsonObject
                {
                    ["step"] = s.Step, ["stage"] = (int)s.Stage, ["epoch"] = s.Epoch, ["loss"] = s.Loss, ["llm_loss"] = s.LlmLoss,
                    ["flow_loss"] = s.FlowLoss, ["lr"] = s.LearningRate, ["grad_norm"] = s.GradNorm, ["seconds"] = s.Seconds,
                }.ToJsonString());
                tensorBoard?.add_scalar("train/loss", (float)s.Loss, (int)s.Step);
                if (s.LlmLoss is { } l) tensorBoard?.add_scalar("train/llm_loss", (float)l, (int)s.Step);
                if (s.FlowLoss is { } f) tensorBoard?.add_scalar("train/flow_loss", (float)f, (int)s.Step);
                tensorBoard?.add_scalar("train/lr", (float)s.LearningRate, (int)s.Step);
                tensorBoard?.add_scalar("train/grad_norm", (float)s.GradNorm, (int)s.Step);
                if (s.Step % logInterval == 0 || s.StepInEpoch == s.StepsInEpoch) Line(Describe(e));
                break;
            case StepSkipped k:
                metrics.WriteLine(new JsonObject
                {
                    ["step"] = k.Step, ["stage"] = (int)k.Stage, ["epoch"] = k.Epoch, ["skipped"] = true, ["reason"] = k.Reason,
                }.ToJsonString());
                Line(Describe(e));
                break;
            case ValidationCompleted v:
                if (v.LlmLoss is { } vl) tensorBoard?.add_scalar("val/llm_loss", (float)vl, (int)v.Step);
                if (v.FlowLoss is { } vf) tensorBoard?.add_scalar("val/flow_loss", (float)vf, (int)v.Step);
                Line(Describe(e));
                break;
            case RunStarted or StageStarted or StageFinished or RunFinished or TrainingMessage:
                tensorBoard?.add_text("events", Describe(e), 0);
                Line(Describe(e));
                break;
            default:
                Line(Describe(e));
                break;
        }
    }

    void Line(string text) => log.WriteLine($"{DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} {text}");

    /// <summary>One readable line for an event (also what the CLI prints when its output is not a terminal).</summary>
    public static string Describe(TrainingEvent e) => e switch
    {
        RunStarted r => $"run {r.RunDirectory}: stages {string.Join(" → ", r.Stages.Select(s => (int)s))}, {r.TrainRecords} train / {r.ValRecords} val records" +
                        (r.Filtered > 0 ? $", {r.Filtered} filtered out" : "") + (r.ResumedAtStep is { } st ? $", resumed after step {st}" : "") + $" | {r.Machine}",
        StageStarted s => $"stage {(int)s.Stage} ({s.Stage.ToString().ToLowerInvariant()}): epochs {s.FirstEpoch}–{s.LastEpoch}, {s.StepsPerEpoch} steps/epoch, {s.TrainableParameters:N0} trainable parameters",
        StepCompleted s => $"stage {(int)s.Stage} epoch {s.Epoch} step {s.Step} ({s.StepInEpoch}/{s.StepsInEpoch}): loss {s.Loss:F4}" +
                           (s.Stage == TrainingStage.Joint ? $" (llm {s.LlmLoss:F4}, flow {s.FlowLoss:F4})" : "") +
                           $" lr {s.LearningRate:E2} grad {s.GradNorm:F3} {s.ItemsPerSecond:F1} items/s",
        StepSkipped k => $"stage {(int)k.Stage} epoch {k.Epoch} step {k.Step} SKIPPED: {k.Reason} (loss {k.Loss}, grad norm {k.GradNorm})",
        ValidationCompleted v => (v.Epoch == 0 ? "step-0 validation:" : $"validation after epoch {v.Epoch} (step {v.Step}):") +
                                 (v.LlmLoss is { } l ? $" llm {l:F4}" : "") + (v.FlowLoss is { } f ? $" flow {f:F4}" : "") + $" ({v.Seconds:F1} s)",
        CheckpointSaved c => $"saved {c.Model} {c.Kind} checkpoint {c.Path} (epoch {c.Epoch}, step {c.Step})",
        SampleGenerated g => $"sample {g.Name} (epoch {g.Epoch}): {g.WavPath}",
        StageFinished f => $"stage {(int)f.Stage} {(f.Cancelled ? "stopped" : "finished")}: {f.Steps} steps in {f.Seconds:F1} s",
        RunFinished f => $"run {(f.Cancelled ? "stopped; resume with --resume" : "finished")} in {f.Seconds:F1} s",
        TrainingMessage m => $"{m.Level}: {m.Text}",
        _ => e.ToString(),
    };

    /// <inheritdoc />
    public void Dispose()
    {
        log.Dispose();
        metrics.Dispose();

    }
}
