namespace StepAudio.Notebooks.Tests.Charts;

/// <summary>
/// A real tiny llm-mode run for a notebook cell: 4 train / 1 val records of data-samples in a temp folder, and the
/// cell's code that builds the trainer on configs/tiny.yaml (then runs <c>body</c>).
/// </summary>
sealed class TinyTrainingCell : IDisposable
{
    public TinyTrainingCell(string prefix)
    {
        Data = RepoPaths.NewTempDir(prefix);
        RepoPaths.WriteManifest("train.jsonl", Path.Combine(Data, "train.jsonl"), 4);
        RepoPaths.WriteManifest("val.jsonl", Path.Combine(Data, "val.jsonl"), 1);
    }

    public string Data { get; }
    public string RunDir => Path.Combine(Data, "run");

    static string Literal(string s) => "@\"" + s.Replace("\"", "\"\"") + "\"";

    /// <summary>The cell: <paramref name="configLines"/> tweak <c>config</c>, then <paramref name="body"/> uses <c>trainer</c>.</summary>
    public string Code(string configLines, string body, string cacheName = "cache") => $$"""
        using StepAudio.Config;
        using StepAudio.Training;
        using StepAudio.Notebooks;
        var config = ConfigLoader.Load({{Literal(RepoPaths.TinyConfig)}});
        config.Data.TrainPath = {{Literal(Path.Combine(Data, "train.jsonl"))}};
        config.Data.ValPath = {{Literal(Path.Combine(Data, "val.jsonl"))}};
        config.Data.CacheDir = {{Literal(Path.Combine(Data, cacheName))}};
        config.NumThreads = 1;
        {{configLines}}
        var trainer = new Trainer(config, new TrainerOptions
        {
            Mode = TrainMode.Llm, TensorBoard = false, Folder = new RunFolderOptions { Output = {{Literal(RunDir)}} },
        });
        {{body}}
        """;

    public void Dispose()
    {
        if (Directory.Exists(Data)) Directory.Delete(Data, recursive: true);
    }
}
