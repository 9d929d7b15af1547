using System.Text.Json.Nodes;
using StepAudio.Config;
using StepAudio.Training;

namespace StepAudio.Tests.Training;

/// <summary>
/// A small copy of the embedded default for trainer tests: 8 training and 3 validation records of data-samples/
/// (absolute paths), one feature cache shared by the test process, 1 epoch per stage.
/// </summary>
public static class TrainingFixture
{
    static readonly Lazy<string> DataDir = new(() =>
    {
        var dir = TestPaths.NewTempDir("stepaudio-train-data");
        Write(Path.Combine(TestPaths.DataSamples, "train.jsonl"), Path.Combine(dir, "train.jsonl"), 8);
        Write(Path.Combine(TestPaths.DataSamples, "val.jsonl"), Path.Combine(dir, "val.jsonl"), 3);
        return dir;
    });

    static void Write(string from, string to, int count)
    {
        var folder = Path.GetDirectoryName(from)!;
        var lines = File.ReadLines(from).Where(l => l.Trim().Length > 0).Take(count).Select(l =>
        {
            var o = JsonNode.Parse(l)!.AsObject();
            foreach (var key in new[] { "prompt_audio_path", "target_audio_path" })
                o[key] = Path.GetFullPath(Path.Combine(folder, o[key]!.GetValue<string>()));
            return o.ToJsonString();
        });
        File.WriteAllLines(to, lines);
    }

    /// <summary>The tiny config on the small data, runs under a fresh folder; tweak it before use.</summary>
    public static StepAudioConfig Config(Action<StepAudioConfig>? tweak = null)
    {
        var c = ConfigLoader.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny.yaml"));
        c.Data.TrainPath = Path.Combine(DataDir.Value, "train.jsonl");
        c.Data.ValPath = Path.Combine(DataDir.Value, "val.jsonl");
        c.Data.CacheDir = Path.Combine(DataDir.Value, "cache");
        c.Save.CkptDir = TestPaths.NewTempDir("stepaudio-runs");
        c.Stage.Stage1Epochs = 1;
        c.Stage.Stage2Epochs = 1;
        c.Stage.Stage3Epochs = 1;
        c.Save.SampleInterval = 0;
        c.Save.SaveInterval = 1;
        c.NumThreads = 1;
        tweak?.Invoke(c);
        return c;
    }

    /// <summary>Per-step losses of a run (metrics.jsonl), skipped steps as NaN.</summary>
    public static List<(long Step, double Loss)> Losses(string runDir) =>
        File.ReadLines(Path.Combine(runDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject())
            .Select(o => (o["step"]!.GetValue<long>(), o["loss"]?.GetValue<double>() ?? double.NaN)).ToList();

    /// <summary>Two checkpoints hold the same tensors bit for bit (zip timestamps may differ).</summary>
    public static void AssertSameWeights(string a, string b)
    {
        var x = StepAudio.Checkpoints.StateDictFile.Load(a);
        var y = StepAudio.Checkpoints.StateDictFile.Load(b);
        Assert.Equal(x.Keys.Order(), y.Keys.Order());
        foreach (var (k, t) in x)
            Assert.True(t.contiguous().bytes.SequenceEqual(y[k].contiguous().bytes), $"{k} differs between {a} and {b}");
        foreach (var t in x.Values.Concat(y.Values)) t.Dispose();
    }

    /// <summary>Runs a trainer to the end and returns its summary and events.</summary>
    public static (TrainingSummary Summary, List<TrainingEvent> Events) Run(StepAudioConfig config, TrainerOptions? options = null,
        TrainingInputs? inputs = null, Func<TrainingEvent, bool>? cancelWhen = null)
    {
        var trainer = new Trainer(config, options);
        var events = new List<TrainingEvent>();
        using var cancel = new CancellationTokenSource();
        using var _ = trainer.Events.Subscribe(e =>
        {
            events.Add(e);
            if (cancelWhen?.Invoke(e) == true) cancel.Cancel();
        });
        var summary = trainer.Run(inputs, cancel.Token);
        return (summary, events);
    }
}
