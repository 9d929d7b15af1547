using System.Text.Json;
using StepAudio.Config;
using StepAudio.Training;

namespace StepAudio.Notebooks;

/// <summary>
/// The three stage runs the notebooks pass along — <c>stage1-llm</c>, <c>stage2-flow</c>, <c>stage3-joint</c> under
/// <see cref="NotebookRuns.Root"/> — so each notebook also runs on its own: one that needs an earlier stage calls
/// <see cref="Ensure"/>, which trains that stage (short, with the notebook config) only when no finished run is there.
/// Stage 3 starts from the best weights of stages 1 and 2, as <c>finetune --init-from</c> would.
/// </summary>
public static class StageRuns
{
    static readonly JsonSerializerOptions SummaryJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The fixed run folder of <paramref name="stage"/>.</summary>
    public static string Folder(TrainingStage stage) => NotebookRuns.Folder(stage switch
    {
        TrainingStage.Llm => "stage1-llm",
        TrainingStage.Flow => "stage2-flow",
        _ => "stage3-joint",
    });

    /// <summary>Whether the folder holds a run that finished every stage and saved the best checkpoints later notebooks read.</summary>
    public static bool IsDone(TrainingStage stage)
    {
        var dir = Folder(stage);
        var summaryFile = Path.Combine(dir, "summary.json");
        if (!File.Exists(summaryFile)) return false;
        var summary = JsonSerializer.Deserialize<TrainingSummary>(File.ReadAllText(summaryFile), SummaryJson);
        if (summary is null || summary.Cancelled || summary.Stages.Count == 0 || !summary.Stages.All(s => s.Completed)) return false;
        bool llm = File.Exists(Path.Combine(dir, "llm_best", "llm_best.pt")), flow = File.Exists(Path.Combine(dir, "flow_best.pt"));
        return stage switch { TrainingStage.Llm => llm, TrainingStage.Flow => flow, _ => llm && flow };
    }

    /// <summary>
    /// A trainer for <paramref name="stage"/> alone, writing to its fixed folder (replacing an earlier run there).
    /// Stage 3 first makes sure stages 1 and 2 exist and starts from their weights (and sets <paramref name="config"/>'s
    /// stage-1 and stage-2 epochs to 0). Subscribe to its events, then run it.
    /// </summary>
    public static Trainer CreateTrainer(TrainingStage stage, StepAudioConfig? config = null, Action<string>? log = null)
    {
        config ??= NotebookConfig.Load();
        var init = new List<string>();
        TrainMode mode;
        switch (stage)
        {
            case TrainingStage.Llm:
                mode = TrainMode.Llm;
                break;
            case TrainingStage.Flow:
                mode = TrainMode.Flow;
                break;
            default:
                mode = TrainMode.Both;
                init.Add(Ensure(TrainingStage.Llm, log));
                init.Add(Ensure(TrainingStage.Flow, log));
                // Only the joint stage: the earlier stages' weights come from their own runs.
                config.Stage.Stage1Epochs = 0;
                config.Stage.Stage2Epochs = 0;
                break;
        }
        return new Trainer(config, new TrainerOptions
        {
            Mode = mode,
            Folder = new RunFolderOptions { Output = Folder(stage), Overwrite = true },
            InitFrom = init,
            TensorBoard = false,   // the notebooks chart the losses themselves
        });
    }

    /// <summary>Trains <paramref name="stage"/> into its folder and returns the summary.</summary>
    public static TrainingSummary Train(TrainingStage stage, StepAudioConfig? config = null, Action<string>? log = null)
    {
        var trainer = CreateTrainer(stage, config, log);
        var summary = trainer.Run();
        if (!IsDone(stage))
            throw new InvalidOperationException($"the {stage} run in {Folder(stage)} did not finish with a best checkpoint");
        return summary;
    }

    /// <summary>The folder of a finished <paramref name="stage"/> run, training it first when there is none.</summary>
    public static string Ensure(TrainingStage stage, Action<string>? log = null)
    {
        if (!IsDone(stage))
        {
            log?.Invoke($"no finished {Folder(stage)}: training stage {(int)stage} now (the notebook for that stage shows it in detail)");
            var watch = System.Diagnostics.Stopwatch.StartNew();
            Train(stage, log: log);
            log?.Invoke($"stage {(int)stage} trained in {watch.Elapsed.TotalSeconds:F0} s");
        }
        return Folder(stage);
    }
}
