using System.Text.Json.Nodes;
using StepAudio.Config;
using StepAudio.Training;

namespace StepAudio.Tests.Training;

/// <summary>A manifest's precomputed <c>speaker_embedding</c> is the flow's condition for that target, checked against the encoder's width.</summary>
public sealed class ManifestEmbeddingTests : IDisposable
{
    readonly string dir = TestPaths.NewTempDir("manifest-embedding");

    public void Dispose() => Directory.Delete(dir, true);

    /// <summary>The fixture's train manifest with <paramref name="values"/> as the first record's speaker_embedding.</summary>
    StepAudioConfig WithEmbedding(float[] values)
    {
        var config = TrainingFixture.Config(c => c.TrainMode = TrainMode.Flow);
        var lines = File.ReadAllLines(config.Data.TrainPath!).Where(l => l.Trim().Length > 0).ToList();
        var first = JsonNode.Parse(lines[0])!.AsObject();
        first["speaker_embedding"] = new JsonArray(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
        lines[0] = first.ToJsonString();
        var train = Path.Combine(dir, "train.jsonl");
        File.WriteAllLines(train, lines);
        config.Data.TrainPath = train;
        return config;
    }

    [Fact]
    public void A_precomputed_embedding_of_the_right_width_conditions_that_target()
    {
        var probe = TrainingFixture.Config(c => c.TrainMode = TrainMode.Flow);
        int width;
        using (var inputs = TrainingInputs.Prepare(probe, llm: false, flow: true))
            width = (int)inputs.Train.Flow[0].Embedding.shape[0];
        var values = Enumerable.Range(0, width).Select(i => (float)Math.Sin(i + 0.5)).ToArray();
        var config = WithEmbedding(values);
        using var withGiven = TrainingInputs.Prepare(config, llm: false, flow: true);
        Assert.Equal(values, withGiven.Train.Flow[0].Embedding.data<float>().ToArray());
        Assert.NotEqual(values, withGiven.Train.Flow[1].Embedding.data<float>().ToArray());
    }

    [Fact]
    public void A_precomputed_embedding_of_another_width_names_the_record_and_field()
    {
        var config = WithEmbedding(new float[7]);
        var e = Assert.Throws<InputException>(() => TrainingInputs.Prepare(config, llm: false, flow: true));
        Assert.Equal((config.Data.TrainPath, 1, "speaker_embedding"), (e.File, e.Line, e.Field));
        Assert.Contains("has 7 values", e.Problem);
    }
}
