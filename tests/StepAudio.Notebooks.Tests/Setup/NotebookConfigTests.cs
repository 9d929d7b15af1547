using StepAudio.Data;

namespace StepAudio.Notebooks.Tests.Setup;

public sealed class NotebookConfigTests
{
    [Fact]
    public void The_full_setting_is_the_embedded_default_with_runs_under_the_notebook_root()
    {
        using var env = new NotebookEnvironment(quickSetting: false);
        Assert.False(NotebookSetting.Quick);
        Assert.Equal("full", NotebookSetting.Pick("quick", "full"));
        var config = NotebookConfig.Load();
        var tiny = StepAudio.Config.ConfigLoader.Load(RepoPaths.TinyConfig);
        Assert.Equal((tiny.Stage.Stage1Epochs, tiny.Stage.Stage2Epochs, tiny.Stage.Stage3Epochs),
            (config.Stage.Stage1Epochs, config.Stage.Stage2Epochs, config.Stage.Stage3Epochs));
        Assert.Equal(tiny.Data.TrainPath, config.Data.TrainPath);
        Assert.Equal(env.Root, config.Save.CkptDir);
        Assert.Equal((0, 0), (config.Save.SaveInterval, config.Save.SampleInterval));
    }

    [Fact]
    public void The_quick_setting_trains_fewer_epochs_on_every_third_record_with_its_own_cache()
    {
        using var env = new NotebookEnvironment(quickSetting: true);
        Assert.True(NotebookSetting.Quick);
        var config = NotebookConfig.Load(c => c.Seed = 7);
        Assert.Equal(7, config.Seed);
        Assert.Equal(Path.Combine(env.Root, "quick"), NotebookRuns.Root);
        Assert.Equal(NotebookConfig.QuickEpochs, (config.Stage.Stage1Epochs, config.Stage.Stage2Epochs, config.Stage.Stage3Epochs));
        Assert.StartsWith(NotebookRuns.Root, config.Data.CacheDir!);
        var all = ManifestReader.Load(Path.Combine(RepoPaths.Root, "data-samples", "train.jsonl"));
        var subset = ManifestReader.Load(config.Data.TrainPath!);
        Assert.Equal(all.Where((_, i) => i % NotebookConfig.QuickRecordStride == 0).Select(r => r.TargetAudioPath),
            subset.Select(r => r.TargetAudioPath));
        Assert.True(subset.Select(r => r.SpeakerId).Distinct().Count() >= 3, "every voice stays in the subset");
        var before = File.GetLastWriteTimeUtc(config.Data.TrainPath!);
        NotebookConfig.Load();   // unchanged subset: the manifest (and its hash in run.json) stays as it was
        Assert.Equal(before, File.GetLastWriteTimeUtc(config.Data.TrainPath!));
    }
}
