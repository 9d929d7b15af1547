using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using StepAudio.Training;

namespace StepAudio.Notebooks;

/// <summary>One optimizer step as the charts need it.</summary>
public sealed record StepPoint(TrainingStage Stage, int Epoch, long Step, double Loss, double? LlmLoss, double? FlowLoss,
    double LearningRate);

/// <summary>One validation pass (<see cref="Stage"/> null for the step-0 evaluation).</summary>
public sealed record ValidationPoint(TrainingStage? Stage, int Epoch, long Step, double? LlmLoss, double? FlowLoss);

/// <summary>
/// The losses and learning rates of a run: filled live from <see cref="TrainingEvents"/> (<see cref="Add"/>) or read
/// back from a run folder (<see cref="Read"/>). Not thread-safe; <see cref="LiveTrainingChart"/> locks around it.
/// </summary>
public sealed partial class TrainingHistory
{
    /// <summary>Every step that was applied, in order.</summary>
    public List<StepPoint> Steps { get; } = new();
    /// <summary>Every validation pass, in order.</summary>
    public List<ValidationPoint> Validations { get; } = new();
    /// <summary>The stages begun, in order.</summary>
    public List<TrainingStage> Stages { get; } = new();
    /// <summary>Set by <see cref="RunFinished"/>: true when the run was stopped, false when it completed.</summary>
    public bool? Cancelled { get; private set; }

    /// <summary>Takes in one trainer event; true when it changed what a chart shows.</summary>
    public bool Add(TrainingEvent e)
    {
        switch (e)
        {
            case StepCompleted s:
                Steps.Add(new StepPoint(s.Stage, s.Epoch, s.Step, s.Loss, s.LlmLoss, s.FlowLoss, s.LearningRate));
                return true;
            case ValidationCompleted v:
                Validations.Add(new ValidationPoint(v.Stage, v.Epoch, v.Step, v.LlmLoss, v.FlowLoss));
                return true;
            case StageStarted st:
                if (!Stages.Contains(st.Stage)) Stages.Add(st.Stage);
                return true;
            case RunFinished f:
                Cancelled = f.Cancelled;
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Reads a run folder: steps from <c>metrics.jsonl</c> (one JSON object per step, see <see cref="RunLogs"/>), and
    /// validations from <c>train.log</c>, the only file that records them line by line (TensorBoard has them too,
    /// in a binary format). Lines cut by a kill are skipped.
    /// </summary>
    public static TrainingHistory Read(string runDir)
    {
        var history = new TrainingHistory();
        var metrics = Path.Combine(runDir, "metrics.jsonl");
        if (!File.Exists(metrics))
            throw new InputException(metrics, null, null, "not found", "pass the folder of a run (it holds run.json and metrics.jsonl)");
        foreach (var line in ReadShared(metrics))
        {
            JsonObject? o;
            try { o = JsonNode.Parse(line)?.AsObject(); }
            catch (JsonException) { continue; }
            if (o is null || o["skipped"]?.GetValue<bool>() == true || o["loss"] is null) continue;
            var stage = (TrainingStage)o["stage"]!.GetValue<int>();
            history.Steps.Add(new StepPoint(stage, o["epoch"]!.GetValue<int>(), o["step"]!.GetValue<long>(),
                o["loss"]!.GetValue<double>(), o["llm_loss"]?.GetValue<double>(), o["flow_loss"]?.GetValue<double>(),
                o["lr"]?.GetValue<double>() ?? double.NaN));
            if (!history.Stages.Contains(stage)) history.Stages.Add(stage);
        }
        var log = Path.Combine(runDir, "train.log");
        if (File.Exists(log))
            foreach (var line in ReadShared(log))
                if (ParseValidation(line, history) is { } v) history.Validations.Add(v);
        return history;
    }

    /// <summary>Reads a file a running trainer may still be appending to.</summary>
    static IEnumerable<string> ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
            if (line.Length > 0) yield return line;
    }

    /// <summary>A validation line as <see cref="RunLogs.Describe"/> writes it; the stage is the one training at its step.</summary>
    static ValidationPoint? ParseValidation(string line, TrainingHistory history)
    {
        var m = ValidationLine().Match(line);
        if (!m.Success) return null;
        int epoch = m.Groups["epoch"].Success ? int.Parse(m.Groups["epoch"].Value, CultureInfo.InvariantCulture) : 0;
        long step = m.Groups["step"].Success ? long.Parse(m.Groups["step"].Value, CultureInfo.InvariantCulture) : 0;
        TrainingStage? stage = epoch == 0 ? null : history.Steps.LastOrDefault(s => s.Step <= step)?.Stage;
        return new ValidationPoint(stage, epoch, step, Number(m.Groups["llm"]), Number(m.Groups["flow"]));
    }

    static double? Number(Group g) =>
        g.Success && double.TryParse(g.Value.Replace(',', '.'), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;

    [GeneratedRegex(@"(?:step-0 validation:|validation after epoch (?<epoch>\d+) \(step (?<step>\d+)\):)(?: llm (?<llm>[-+0-9.,eE]+|NaN))?(?: flow (?<flow>[-+0-9.,eE]+|NaN))?")]
    private static partial Regex ValidationLine();
}
