using System.Text.Json;
using StepAudio.Checkpoints;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Training;

/// <summary>Results of one stage, as <c>summary.json</c> reports them.</summary>
public sealed record StageSummary
{
    public TrainingStage Stage { get; init; }
    public int FirstEpoch { get; init; }
    public int LastEpoch { get; init; }
    public long Steps { get; set; }
    public long SkippedSteps { get; set; }
    public double Seconds { get; set; }
    /// <summary>Validation losses when the stage started (the step-0 evaluation for the first stage).</summary>
    public double? StartLlmLoss { get; init; }
    public double? StartFlowLoss { get; init; }
    /// <summary>Validation losses at the stage's last validation.</summary>
    public double? EndLlmLoss { get; set; }
    public double? EndFlowLoss { get; set; }
    /// <summary>Joint objective (llm_weight·llm + flow_weight·flow) at start and end, for stage 3.</summary>
    public double? StartJointLoss { get; init; }
    public double? EndJointLoss { get; set; }
    public bool Completed { get; set; }
}

/// <summary>What a run produced: per stage results, the step-0 evaluation and the best checkpoints.</summary>
public sealed record TrainingSummary
{
    public string RunDirectory { get; init; } = "";
    public double? Step0LlmLoss { get; set; }
    public double? Step0FlowLoss { get; set; }
    public double? BestLlmLoss { get; set; }
    public double? BestFlowLoss { get; set; }
    public string? BestLlmCheckpoint { get; set; }
    public string? BestFlowCheckpoint { get; set; }
    public List<StageSummary> Stages { get; init; } = new();
    public long Steps { get; set; }
    public bool Cancelled { get; set; }
}

/// <summary>
/// Where a run stands: the stage (index into the run's stage list), the epoch (global numbering) and the next
/// accumulation window within it, the steps done, and the summary so far. With the run seed this fixes every later
/// batch order and random draw (both are functions of seed, stage, epoch and step), so it is all resume needs besides
/// weights, optimizer and EMA.
/// </summary>
public sealed record TrainerPosition
{
    public int StageIndex { get; init; }
    public int Epoch { get; init; }
    public int NextWindow { get; init; }
    public long GlobalStep { get; init; }
    public long StageStep { get; init; }
    public TrainingSummary Summary { get; init; } = new();
}

/// <summary>
/// The resumable state in <c>last/</c>: each save is a complete folder <c>state-NNNNNNNNN</c> (trainable weights of
/// both models, EMA shadows, optimizer state through its state dict, <c>state.json</c> written last), then the
/// <c>LATEST</c> file is atomically pointed at it and older folders removed. A kill at any moment leaves either the
/// previous complete state or the new one.
/// </summary>
public static class TrainerState
{
    const string Latest = "LATEST", StateJson = "state.json", Weights = "weights.safetensors", Ema = "ema.safetensors",
        Optimizer = "optimizer.bin";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Saves a complete state and points <c>LATEST</c> at it.</summary>
    public static string Save(string lastDir, TrainerPosition position, IEnumerable<(string Name, Tensor Value)> weights,
        ExponentialMovingAverage? ema, OptimizerHelper? optimizer)
    {
        // SafetensorsFile.Save's detach()/cpu() intermediates are not disposed by it; the trainer calls this outside any
        // step scope, so without this scope every save left 2 tensors per trainable tensor to the finalizer (measured by
        // bench-train: +120 live tensors per save for the tiny flow, +52 for the tiny LoRA, each epoch end).
        using var scope = NewDisposeScope();
        Directory.CreateDirectory(lastDir);
        var name = $"state-{position.GlobalStep:D9}-{DateTime.UtcNow.Ticks:D19}";
        var tmp = Path.Combine(lastDir, ".tmp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(tmp);
        try
        {
            SafetensorsFile.Save(Path.Combine(tmp, Weights), weights.Select(w => KeyValuePair.Create(w.Name, w.Value)));
            if (ema != null) SafetensorsFile.Save(Path.Combine(tmp, Ema), ema.Shadows.Select(s => KeyValuePair.Create(s.Name, s.Shadow)));
            if (optimizer != null)
                using (var stream = File.Create(Path.Combine(tmp, Optimizer)))
                using (var writer = new BinaryWriter(stream))
                    optimizer.save_state_dict(writer);
            File.WriteAllText(Path.Combine(tmp, StateJson), JsonSerializer.Serialize(position, Json));
            var final = Path.Combine(lastDir, name);
            Directory.Move(tmp, final);
            AtomicFile.WriteAllText(Path.Combine(lastDir, Latest), name);
        }
        finally
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        }
        foreach (var old in Directory.GetDirectories(lastDir))
        {
            var n = Path.GetFileName(old);
            if (n != name && (n.StartsWith("state-", StringComparison.Ordinal) || n.StartsWith(".tmp-", StringComparison.Ordinal)))
                Directory.Delete(old, true);
        }
        return Path.Combine(lastDir, name);
    }

    /// <summary>The folder of the newest complete state, or null when there is none.</summary>
    public static string? Find(string lastDir)
    {
        if (!Directory.Exists(lastDir)) return null;
        var pointer = Path.Combine(lastDir, Latest);
        if (File.Exists(pointer))
        {
            var dir = Path.Combine(lastDir, File.ReadAllText(pointer).Trim());
            if (File.Exists(Path.Combine(dir, StateJson))) return dir;
        }
        // Killed between the folder's rename and the pointer's: the newest complete folder is the state.
        return Directory.GetDirectories(lastDir, "state-*").Where(d => File.Exists(Path.Combine(d, StateJson)))
            .OrderBy(d => d, StringComparer.Ordinal).LastOrDefault();
    }

    /// <summary>Reads <c>state.json</c> of a state folder.</summary>
    public static TrainerPosition ReadPosition(string stateDir)
    {
        var path = Path.Combine(stateDir, StateJson);
        return InputException.ReadingJson(path, () => JsonSerializer.Deserialize<TrainerPosition>(File.ReadAllText(path), Json)
            ?? throw new JsonException("empty state"));
    }

    /// <summary>Copies the saved weights into <paramref name="targets"/> (every one must be present with its shape).</summary>
    public static void LoadWeights(string stateDir, IEnumerable<(string Name, Tensor Target)> targets, string file = Weights)
    {
        var path = Path.Combine(stateDir, file);
        using var scope = NewDisposeScope();
        var saved = SafetensorsFile.LoadAll(path);
        using var noGrad = no_grad();
        foreach (var (name, target) in targets)
        {
            if (!saved.TryGetValue(name, out var t) || !t.shape.SequenceEqual(target.shape))
                throw new InputException(path, null, name, "is missing or has another shape than the model's",
                    "resume with the config the run was started with");
            target.copy_(t);
        }
    }

    /// <summary>Loads the EMA shadows saved with the state.</summary>
    public static void LoadEma(string stateDir, ExponentialMovingAverage ema) =>
        LoadWeights(stateDir, ema.Shadows.Select(s => (s.Name, s.Shadow)), Ema);

    /// <summary>Loads the optimizer state saved with the state.</summary>
    public static void LoadOptimizer(string stateDir, OptimizerHelper optimizer)
    {
        var path = Path.Combine(stateDir, Optimizer);
        try
        {
            using var stream = File.OpenRead(path);
            using var reader = new BinaryReader(stream);
            optimizer.load_state_dict(reader);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or EndOfStreamException)
        {
            throw new InputException(path, null, null, "the optimizer state cannot be read: " + e.Message,
                "resume with the config the run was started with, or start over with --init-from", e);
        }
    }
}
