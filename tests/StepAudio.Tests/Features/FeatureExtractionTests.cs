using StepAudio.Config;
using StepAudio.Features;

namespace StepAudio.Tests.Features;

public class FeatureExtractionTests
{
    static StepAudioConfig TinyWithCache(string cacheDir)
    {
        var c = ConfigLoader.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny.yaml"));
        c.Data.CacheDir = cacheDir;
        return c;
    }

    [Fact]
    public void FillsTheCacheOnceThenOnlyHits()
    {
        var dir = TestPaths.NewTempDir();
        try
        {
            var config = TinyWithCache(dir);
            var first = FeatureExtraction.Run(config);
            Assert.False(first.Report.HasErrors);
            Assert.True(first.Clips >= 24);
            Assert.Equal((first.Clips, 0), (first.Computed, first.Hits));
            Assert.Equal(first.Clips, Directory.GetFiles(dir, "*.safetensors").Length);
            var progress = new List<FeatureExtractionProgress>();
            var second = FeatureExtraction.Run(config, progress.Add);
            Assert.Equal((second.Clips, 0, 0), (second.Hits, second.Computed, second.Rebuilt));
            Assert.Equal(first.MelFrames, second.MelFrames);
            Assert.Equal(Enumerable.Range(1, second.Clips), progress.Select(p => p.Done));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void DataErrorsStopBeforeAnythingIsCached()
    {
        var dir = TestPaths.NewTempDir();
        try
        {
            var manifest = Path.Combine(dir, "train.jsonl");
            File.WriteAllText(manifest, "{\"prompt_audio_path\": \"missing.wav\", \"target_audio_path\": \"missing.wav\"}\n");
            var config = TinyWithCache(Path.Combine(dir, "cache"));
            config.Data.TrainPath = manifest;
            config.Data.ValPath = null;
            var summary = FeatureExtraction.Run(config);
            Assert.True(summary.Report.HasErrors);
            Assert.Equal(0, summary.Clips);
            Assert.False(Directory.Exists(Path.Combine(dir, "cache")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void AnotherSampleRateIsAConfigError()
    {
        var file = Path.Combine(TestPaths.NewTempDir(), "c.yaml");
        File.WriteAllText(file, "data:\n  train_path: t.jsonl\n  sample_rate: 16000\n");
        var e = Assert.Throws<InputException>(() => FeatureExtraction.Run(ConfigLoader.Load(file)));
        Assert.Equal(("data.sample_rate", 3), (e.Field, e.Line));
    }
}
