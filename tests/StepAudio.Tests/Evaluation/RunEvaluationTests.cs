using System.Text.Json.Nodes;
using StepAudio.Cli.Commands;
using StepAudio.Config;
using StepAudio.Evaluation;
using StepAudio.Tests.Training;

namespace StepAudio.Tests.Evaluation;

/// <summary><c>evaluate</c> end to end: a short run on the embedded default's data, evaluated from the command line.</summary>
[Collection(StepAudio.Tests.Platform.GlobalTorchState.Name)]   // trains and builds models from LibTorch's global generator
public class RunEvaluationTests
{
    [Fact]
    public void FinetuneEvaluate_ThenEvaluateOnTheFolderOfRuns_WriteEvalJsonWithBeforeAndAfterPerEditType()
    {
        var config = TrainingFixture.Config(c => c.Stage.Stage3Epochs = 0);
        var yaml = Path.Combine(TestPaths.NewTempDir("stepaudio-eval-cli"), "config.yaml");
        ConfigWriter.Save(config, yaml);
        var run = Path.Combine(config.Save.CkptDir, "run-001");
        Assert.Equal(StepAudioCli.Success, StepAudioCli.Run(["finetune", "--config", yaml, "--output", run, "--no-tensorboard", "--evaluate"]));
        var path = Path.Combine(run, RunEvaluation.FileName);
        Assert.Equal(config.Seed, EvaluationReportJson.Read(path).Seed);
        // Again on the folder of runs, which evaluate resolves to its newest as clone --run does; eval.json is replaced.
        // Tensors left alive must not grow with the records (building the two model sets leaves a fixed few).
        long Live() => TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        long live = Live();
        Assert.Equal(StepAudioCli.Success, StepAudioCli.Run(["evaluate", "--run", config.Save.CkptDir, "--max-seconds", "1", "--max-records", "1"]));
        long leakedForOne = Live() - live;
        live = Live();
        Assert.Equal(StepAudioCli.Success, StepAudioCli.Run(["evaluate", "--run", config.Save.CkptDir, "--max-seconds", "1", "--seed", "5"]));
        Assert.Equal(leakedForOne, Live() - live);

        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var val = StepAudio.Data.ManifestReader.Load(config.Data.ValPath!);
        var kinds = val.Select(r => StepAudio.Data.EditTypes.ToManifestName(r.EditType)).Distinct().ToList();
        Assert.Contains("speed", kinds);   // the fixture's validation set holds clones and a speed edit
        var groups = json["groups"]!.AsArray().Select(g => g!.AsObject()).ToDictionary(g => g["name"]!.GetValue<string>());
        Assert.Equal(kinds.Append(EvaluationReport.Overall).Order(), groups.Keys.Order());
        foreach (var (name, g) in groups)
            foreach (var side in new[] { "before", "after", "delta" })
                foreach (var metric in new[] { "speaker_similarity", "mcd_db" })
                {
                    var value = g[side]![metric]?.GetValue<double>();
                    Assert.True(value is { } v && double.IsFinite(v), $"{name}.{side}.{metric} = {value?.ToString() ?? "null"}");
                }
        // F0 RMSE exists where frames are voiced in both (a barely trained tiny model may write unvoiced noise).
        foreach (var r in json["records"]!.AsArray())
            foreach (var side in new[] { "before", "after" })
            {
                var m = r![side]!;
                var cents = m["f0_rmse_cents"]?.GetValue<double>();
                Assert.Equal(m["voiced_pairs"]!.GetValue<int>() > 0, cents is { } c && double.IsFinite(c) && c >= 0);
            }
        Assert.Equal(val.Count, groups[EvaluationReport.Overall]["records"]!.GetValue<int>());
        Assert.Equal(5, json["seed"]!.GetValue<long>());

        // The typed reader sees the same; the fine-tuned models generate differently from the base.
        var report = EvaluationReportJson.Read(path);
        Assert.Equal(val.Count, report.Records.Count);
        Assert.NotNull(report.AfterLlm);
        Assert.NotNull(report.AfterFlow);
        Assert.Contains(report.Records, r => r.Before.McdDb != r.After.McdDb);
        Assert.All(report.Records, r => Assert.InRange(r.After.SpeakerSimilarity!.Value, -1, 1));
        Assert.Contains("MCD dB", EvaluationReportText.Render(report));
    }

    [Fact]
    public void ANonexistentRun_IsExitOne_NamingThePath()
    {
        var missing = Path.Combine(TestPaths.NewTempDir("stepaudio-eval"), "no-such-run");
        var error = new StringWriter();
        var before = Console.Error;
        Console.SetError(error);
        try
        {
            Assert.Equal(StepAudioCli.BadInput, StepAudioCli.Run(["evaluate", "--run", missing]));
        }
        finally
        {
            Console.SetError(before);
        }
        Assert.Contains(missing, error.ToString());
        Assert.Contains("--run", error.ToString());
    }

    [Fact]
    public void AFolderWithoutARun_ARunWithoutCheckpoints_OrAnEmptyValidationSet_IsInputError()
    {
        var empty = TestPaths.NewTempDir("stepaudio-eval-empty");
        var e = Assert.Throws<InputException>(() => RunEvaluation.Run(empty));
        Assert.Contains("run.json", e.Message);
        Assert.Equal(StepAudioCli.Usage, StepAudioCli.Run(["evaluate", "--run", empty, "--max-records", "0"]));

        // A run folder as finetune starts it (config.yaml, run.json) before any best checkpoint exists.
        var run = TestPaths.NewTempDir("stepaudio-eval-nockpt");
        var config = TrainingFixture.Config();
        ConfigWriter.Save(config, Path.Combine(run, "config.yaml"));
        File.WriteAllText(Path.Combine(run, "run.json"), "{}");
        e = Assert.Throws<InputException>(() => RunEvaluation.Run(run));
        Assert.Equal(run, e.File);
        Assert.Contains("llm_best", e.Message);

        var val = Path.Combine(run, "val.jsonl");
        File.WriteAllText(val, "");
        config.Data.ValPath = val;
        ConfigWriter.Save(config, Path.Combine(run, "config.yaml"));
        e = Assert.Throws<InputException>(() => RunEvaluation.Run(run));
        Assert.Equal(val, e.File);
    }
}
