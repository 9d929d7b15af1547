using System.Text.Json;
using StepAudio.Training;

namespace StepAudio.Notebooks.Tests.Setup;

public sealed class StageRunsTests
{
    static void Write(string dir, bool completed, bool cancelled, params string[] files)
    {
        Directory.CreateDirectory(dir);
        var summary = new TrainingSummary { Cancelled = cancelled, Stages = { new StageSummary { Stage = TrainingStage.Llm, Completed = completed } } };
        File.WriteAllText(Path.Combine(dir, "summary.json"),
            JsonSerializer.Serialize(summary, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
        foreach (var f in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, f))!);
            File.WriteAllText(Path.Combine(dir, f), "");
        }
    }

    [Fact]
    public void A_stage_is_done_only_when_its_run_finished_and_left_the_best_checkpoints_later_notebooks_read()
    {
        using var env = new NotebookEnvironment(quickSetting: true);
        var llm = StageRuns.Folder(TrainingStage.Llm);
        Assert.Equal(Path.Combine(env.Root, "quick", "stage1-llm"), llm);
        Assert.False(StageRuns.IsDone(TrainingStage.Llm));                      // nothing there

        Write(llm, completed: false, cancelled: true, "llm_best/llm_best.pt");
        Assert.False(StageRuns.IsDone(TrainingStage.Llm));                      // stopped mid-way

        Write(llm, completed: true, cancelled: false);
        File.Delete(Path.Combine(llm, "llm_best", "llm_best.pt"));
        Assert.False(StageRuns.IsDone(TrainingStage.Llm));                      // no best checkpoint

        Write(llm, completed: true, cancelled: false, "llm_best/llm_best.pt");
        Assert.True(StageRuns.IsDone(TrainingStage.Llm));

        Write(StageRuns.Folder(TrainingStage.Joint), completed: true, cancelled: false, "flow_best.pt");
        Assert.False(StageRuns.IsDone(TrainingStage.Joint));                    // the joint run needs both parts
        Write(StageRuns.Folder(TrainingStage.Joint), completed: true, cancelled: false, "llm_best/llm_best.pt");
        Assert.True(StageRuns.IsDone(TrainingStage.Joint));
    }
}
