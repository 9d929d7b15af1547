using StepAudio.Checkpoints;

namespace StepAudio.Tests.Integration;

/// <summary>A checkpoint written by Python's own torch.save (bf16, int64, fp16, bool, a strided view) inspects right.</summary>
[Trait("Tier", "Integration")]
public class TorchSavedCheckpointInfoTests
{
    [Fact]
    public void MixedDtypeTorchSaveCheckpoint()
    {
        var dir = TestPaths.NewTempDir("inspect-torch");
        try
        {
            var path = Path.Combine(dir, "llm_best.pt");
            Assert.Contains("saved 5 tensors", IntegrationTier.RunPython("save_torch_mixed.py", path));
            var info = CheckpointInspector.Inspect(path);
            Assert.Equal("pytorch-zip", info.Format);
            Assert.Equal(
                new[]
                {
                    ("model_state_dict.emb.weight", "BF16", "[7, 4]", 56L),
                    ("model_state_dict.ids", "I64", "[3]", 24L),
                    ("model_state_dict.pos", "I64", "[2, 5]", 80L),
                    ("model_state_dict.half", "F16", "[4]", 8L),
                    ("model_state_dict.mask", "BOOL", "[3]", 3L),
                },
                info.Entries.Select(e => (e.Key, e.DType, e.ShapeText, e.Bytes)));
            Assert.Equal("2", info.Metadata["epoch"]);
            Assert.Equal("40", info.Metadata["step"]);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
