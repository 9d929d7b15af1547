using StepAudio.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Tests.Integration;

[Trait("Tier", "Integration")]
public class SafetensorsPythonTests
{
    [Fact]
    public void PythonTorchReadsOurSafetensors()
    {
        using var scope = NewDisposeScope();
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "t.safetensors");
        var tensors = new Dictionary<string, Tensor>
        {
            ["a.f32"] = arange(12, dtype: float32).reshape(3, 4) / 7,
            ["b.bf16"] = linspace(-2, 2, 5).to(bfloat16),
            ["c.i64"] = tensor(new long[] { 65536, -100, 3 }),
            ["d.bool"] = tensor(new[] { true, false, true }),
        };
        SafetensorsFile.Save(path, tensors, new Dictionary<string, string> { ["origin"] = "stepaudio" });
        var output = IntegrationTier.RunPython("read_safetensors.py", path);
        // The script prints key, dtype, shape and the float64 sum of each tensor, plus the metadata.
        Assert.Contains("__metadata__ format=pt origin=stepaudio", output);
        foreach (var (key, t) in tensors)
        {
            var sum = t.to_type(ScalarType.Float64).sum().item<double>();
            Assert.Contains($"{key} {SafetensorsFile.ToName(t.dtype)} [{string.Join(",", t.shape)}] {sum:F6}", output);
        }
        Directory.Delete(dir, true);
    }
}
