using System.Text.Json.Nodes;
using StepAudio.Config;
using StepAudio.Llm;
using StepAudio.Tests.Training;
using StepAudio.Training;
using static TorchSharp.torch;

namespace StepAudio.Tests.Integration;

/// <summary>
/// PyTorch reads the exported training data of data-samples/ through scripts/stepaudio_data.py (torch only) and finds
/// what the trainer trains on: every item's shape, dtype and sums, the scored labels, the stage-3 pairs, and one
/// collated batch of each kind padded exactly as our own collate functions pad it.
/// </summary>
[Trait("Tier", "Integration")]
[Collection(StepAudio.Tests.Platform.GlobalTorchState.Name)]
public class TrainingDataPythonTests
{
    [Fact]
    public void PythonReadsWhatTheTrainerTrainsOn()
    {
        var python = IntegrationTier.Python;   // fails first, before any work, when the tier is off
        Assert.NotEmpty(python);
        var config = ConfigLoader.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny.yaml"));
        config.Data.CacheDir = TestPaths.NewTempDir("stepaudio-data-py-cache");
        var configFile = TrainingDataExportTests.SaveConfig(config);
        var dir = TestPaths.NewTempDir("stepaudio-data-py");
        var output = Path.Combine(dir, "data");
        TrainingDataExport.Export(new TrainingDataExportOptions { Config = configFile, Output = output });

        using var inputs = TrainingInputs.Prepare(ConfigLoader.Load(configFile), llm: true, flow: true);
        var expected = new JsonObject
        {
            ["splits"] = new JsonObject { ["train"] = Split(inputs.Train), ["val"] = Split(inputs.Val) },
            ["llm_batch"] = LlmBatch(inputs.Train, [0, 1, 2, 3], inputs.Models.Llm!.Config.PadTokenId),
            ["flow_batch"] = FlowBatch(inputs.Train, [0, 1, 2]),
        };
        var expectedFile = Path.Combine(dir, "expected.json");
        File.WriteAllText(expectedFile, expected.ToJsonString());

        var line = IntegrationTier.RunPython("check_training_data.py", output, expectedFile).Trim();
        Assert.Equal($"checked train {inputs.Train.Llm.Count} llm {inputs.Train.Flow.Count} flow {inputs.Train.Joint.Count} joint; " +
                     $"val {inputs.Val.Llm.Count} llm {inputs.Val.Flow.Count} flow {inputs.Val.Joint.Count} joint; batches 4 llm 3 flow", line);
    }

    static JsonObject Split(TrainingSplit split) => new()
    {
        ["llm"] = new JsonArray(split.Llm.Select(i => (JsonNode)new JsonObject
        {
            ["length"] = i.Example.Length,
            ["input_ids_sum"] = i.Example.InputIds.Sum(),
            ["scored"] = i.TargetTokens,
            ["scored_sum"] = i.Example.Labels.Where(l => l != CausalLmLoss.IgnoreIndex).Sum(),
            ["first_scored"] = Array.FindIndex(i.Example.Labels, l => l != CausalLmLoss.IgnoreIndex),
        }).ToArray()),
        ["flow"] = new JsonArray(split.Flow.Select(c => (JsonNode)new JsonObject
        {
            ["speech_token"] = Described(c.Token),
            ["speech_feat"] = Described(c.Feat),
            ["embedding"] = Described(c.Embedding),
        }).ToArray()),
        ["joint"] = new JsonArray(split.Joint.Select(p => (JsonNode)new JsonArray(p.Llm, p.Flow)).ToArray()),
    };

    static JsonObject Described(Tensor t) => new()
    {
        ["dtype"] = t.dtype == ScalarType.Int64 ? "int64" : t.dtype == ScalarType.Float32 ? "float32" : t.dtype.ToString(),
        ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode)s).ToArray()),
        ["sum"] = t.to_type(ScalarType.Float64).sum().item<double>(),
        ["abs_sum"] = t.to_type(ScalarType.Float64).abs().sum().item<double>(),
    };

    /// <summary>Our own LLM collate of the items: the padded ids and labels in full.</summary>
    static JsonObject LlmBatch(TrainingSplit split, int[] items, int padTokenId)
    {
        Assert.True(items.Select(i => split.Llm[i].Example.Length).Distinct().Count() > 1, "the batch must need padding");
        using var batch = Step1Batch.Collate(items.Select(i => split.Llm[i].Example).ToList(), padTokenId);
        return new JsonObject
        {
            ["items"] = new JsonArray(items.Select(i => (JsonNode)i).ToArray()),
            ["input_ids"] = Rows(batch.InputIds),
            ["labels"] = Rows(batch.Labels),
        };
    }

    /// <summary>Our own flow collate of the clips: shapes, lengths, sums and the padded tokens in full.</summary>
    static JsonObject FlowBatch(TrainingSplit split, int[] clips)
    {
        Assert.True(clips.Select(j => split.Flow[j].Feat.shape[0]).Distinct().Count() > 1, "the batch must need padding");
        using var scope = NewDisposeScope();   // FlowBatch owns no dispose of its own
        var batch = Batches.CollateFlow(clips.Select(j => split.Flow[j]).ToList());
        return new JsonObject
        {
            ["items"] = new JsonArray(clips.Select(j => (JsonNode)j).ToArray()),
            ["speech_token"] = new JsonArray(Enumerable.Range(0, clips.Length).Select(b => (JsonNode)Rows(batch.SpeechToken[b])).ToArray()),
            ["speech_token_len"] = new JsonArray(batch.SpeechTokenLen.data<long>().Select(v => (JsonNode)v).ToArray()),
            ["speech_feat"] = Described(batch.SpeechFeat),
            ["speech_feat_len"] = new JsonArray(batch.SpeechFeatLen.data<long>().Select(v => (JsonNode)v).ToArray()),
            ["embedding"] = Described(batch.Embedding),
        };
    }

    static JsonArray Rows(Tensor t) => new(Enumerable.Range(0, (int)t.shape[0])
        .Select(r => (JsonNode)new JsonArray(t[r].data<long>().Select(v => (JsonNode)v).ToArray())).ToArray());
}
