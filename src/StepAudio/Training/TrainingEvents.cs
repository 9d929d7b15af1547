namespace StepAudio.Training;

/// <summary>The three training stages: LLM LoRA, flow decoder, both together.</summary>
public enum TrainingStage
{
    /// <summary>Stage 1: only the LLM's LoRA parameters train.</summary>
    Llm = 1,
    /// <summary>Stage 2: only the flow decoder trains.</summary>
    Flow = 2,
    /// <summary>Stage 3: LoRA and flow decoder together on the weighted sum of both losses.</summary>
    Joint = 3,
}

/// <summary>Something the trainer reports. Subscribers (progress display, train.log, TensorBoard, notebook charts) pattern-match on the type.</summary>
public abstract record TrainingEvent
{
    /// <summary>When it happened (UTC).</summary>
    public DateTime Time { get; init; } = DateTime.UtcNow;
}

/// <summary>A run began (or resumed at <paramref name="ResumedAtStep"/>).</summary>
public sealed record RunStarted(string RunDirectory, IReadOnlyList<TrainingStage> Stages, int TrainRecords, int ValRecords,
    int Filtered, string Machine, long? ResumedAtStep) : TrainingEvent;

/// <summary>
/// A stage began (or resumed with <paramref name="StepsDone"/> of its steps behind it): its epochs (global
/// numbering), steps per epoch and trainable parameter count.
/// </summary>
public sealed record StageStarted(TrainingStage Stage, int FirstEpoch, int LastEpoch, int StepsPerEpoch,
    long TrainableParameters, long StepsDone = 0) : TrainingEvent;

/// <summary>
/// One optimizer step (<paramref name="Step"/> counts steps over the whole run). <paramref name="Loss"/> is what was
/// minimised; <paramref name="LlmLoss"/>/<paramref name="FlowLoss"/> its parts. <paramref name="GradNorm"/> is the
/// norm before clipping. <paramref name="ItemsPerSecond"/> counts examples.
/// </summary>
public sealed record StepCompleted(TrainingStage Stage, int Epoch, long Step, int StepInEpoch, int StepsInEpoch,
    double Loss, double? LlmLoss, double? FlowLoss, double LearningRate, double GradNorm, double ItemsPerSecond,
    double Seconds) : TrainingEvent;

/// <summary>A step whose loss or gradient norm was not finite: nothing was applied.</summary>
public sealed record StepSkipped(TrainingStage Stage, int Epoch, long Step, double Loss, double GradNorm, string Reason)
    : TrainingEvent;

/// <summary>
/// A validation pass. <paramref name="Epoch"/> 0 is the step-0 evaluation made before training. Losses are
/// token-/frame-weighted means over the validation set (null when that model is not part of the run).
/// </summary>
public sealed record ValidationCompleted(TrainingStage? Stage, int Epoch, long Step, double? LlmLoss, double? FlowLoss,
    double Seconds) : TrainingEvent;

/// <summary>A checkpoint file or folder was written (<paramref name="Kind"/>: best, epoch, last).</summary>
public sealed record CheckpointSaved(string Model, string Kind, string Path, int Epoch, long Step) : TrainingEvent;

/// <summary>An audio sample was generated from a validation record.</summary>
public sealed record SampleGenerated(int Epoch, long Step, string Name, string WavPath, string MelPath, string Text)
    : TrainingEvent;

/// <summary>A stage ended (or stopped early when <paramref name="Cancelled"/>).</summary>
public sealed record StageFinished(TrainingStage Stage, long Steps, double Seconds, bool Cancelled) : TrainingEvent;

/// <summary>The run ended: completed, or cancelled (then <c>last/</c> holds the state to resume from).</summary>
public sealed record RunFinished(string RunDirectory, bool Cancelled, double Seconds, TrainingSummary Summary) : TrainingEvent;

/// <summary>A plain message for the log (warnings about the config or data, resume notes).</summary>
public sealed record TrainingMessage(string Level, string Text) : TrainingEvent;

/// <summary>
/// The one subscription point of a run. The trainer publishes; it knows nothing about who listens. Subscribers run on
/// the training thread, in subscription order; one that throws is reported once and unsubscribed, never stops training.
/// </summary>
public sealed class TrainingEvents
{
    readonly List<Action<TrainingEvent>> subscribers = new();
    readonly object gate = new();

    /// <summary>Calls <paramref name="handler"/> for every event until the returned handle is disposed.</summary>
    public IDisposable Subscribe(Action<TrainingEvent> handler)
    {
        lock (gate) subscribers.Add(handler);
        return new Unsubscriber(this, handler);
    }

    /// <summary>Sends <paramref name="e"/> to every subscriber.</summary>
    public void Publish(TrainingEvent e)
    {
        Action<TrainingEvent>[] current;
        lock (gate) current = subscribers.ToArray();
        foreach (var s in current)
        {
            try { s(e); }
            catch (Exception ex)
            {
                lock (gate) subscribers.Remove(s);
                Publish(new TrainingMessage("warning", $"an event subscriber failed and was removed: {ex.GetType().Name}: {ex.Message}"));
            }
        }
    }

    sealed class Unsubscriber(TrainingEvents owner, Action<TrainingEvent> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (owner.gate) owner.subscribers.Remove(handler);
        }
    }
}
