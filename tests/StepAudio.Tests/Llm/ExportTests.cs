using System.Collections;
using System.Text.Json;
using StepAudio.Checkpoints;
using StepAudio.Llm;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace StepAudio.Tests.Llm;

public class ExportTests
{
    static (Step1ForCausalLM Model, LoraConfig Config) Adapted()
    {
        var model = TinyStep1.Create();
        var config = new LoraConfig { R = 4, Alpha = 16, Dropout = 0.05 };
        Step1Lora.Inject(model, config);
        using (no_grad()) foreach (var a in Step1Lora.Adapters(model).Values) a.lora_B.weight!.normal_(0, 0.1);
        model.eval();
        return (model, config);
    }

    [Fact]
    public void PeftAdapterFolderRoundTrips()
    {
        using var scope = NewDisposeScope();
        var (model, config) = Adapted();
        using var _ = model;
        var dir = TestPaths.NewTempDir();
        PeftAdapter.Save(model, dir, config, "stepfun-ai/Step-Audio-EditX");

        using (var f = SafetensorsFile.Open(Path.Combine(dir, PeftAdapter.WeightsName)))
        {
            Assert.Equal("pt", f.Metadata["format"]);
            Assert.Equal(12, f.Entries.Count);
            Assert.Contains("base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight", f.Entries.Keys);
            Assert.DoesNotContain(f.Entries.Keys, k => k.Contains(".default."));
        }
        var json = File.ReadAllText(Path.Combine(dir, PeftAdapter.ConfigName));
        using var doc = JsonDocument.Parse(json);
        var keys = doc.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        Assert.Equal("LORA", doc.RootElement.GetProperty("peft_type").GetString());
        Assert.Equal(16, doc.RootElement.GetProperty("lora_alpha").GetInt32());
        Assert.Equal("CAUSAL_LM", doc.RootElement.GetProperty("task_type").GetString());
        Assert.Contains("\n  \"bias\": \"none\"", json);

        using var fresh = TinyStep1.Create();
        var read = PeftAdapter.Load(fresh, dir);
        Assert.Equal(config.R, read.R);
        Assert.Equal(config.TargetModules, read.TargetModules);
        fresh.eval();
        var ids = TinyStep1.Ids();
        using var ng = no_grad();
        var diff = (model.forward(ids) - fresh.forward(ids)).abs().max().item<float>();
        Assert.True(diff <= 1e-6, $"logits differ by {diff}");
    }

    [Fact]
    public void MergedExportLoadsAsAPlainModel()
    {
        using var scope = NewDisposeScope();
        var (model, _) = Adapted();
        using var m = model;
        var dir = TestPaths.NewTempDir();
        Step1Export.SaveMerged(model, dir, ScalarType.Float32, maxShardBytes: 8_000);
        Assert.True(File.Exists(Path.Combine(dir, HfCheckpointFiles.IndexName)));
        Assert.DoesNotContain(Step1Lora.Adapters(model).Values, a => a.Merged);
        var (plain, report) = Step1Checkpoint.Load(dir);
        using var p = plain;
        Assert.True(report.IsExact, report.ToString());
        var ids = TinyStep1.Ids();
        using var ng = no_grad();
        Assert.True(model.forward(ids).allclose(plain.forward(ids), 1e-5, 1e-5));
    }

    [Fact]
    public void PtCheckpointUsesLivePeftNamesAndHasTheAdapterBeside()
    {
        using var scope = NewDisposeScope();
        var (model, config) = Adapted();
        using var m = model;
        var dir = TestPaths.NewTempDir();
        var pt = Path.Combine(dir, "llm_best.pt");
        Step1Export.SavePt(model, pt, config, epoch: 3);
        Assert.True(File.Exists(Path.Combine(dir, PeftAdapter.WeightsName)));
        Assert.True(File.Exists(Path.Combine(dir, PeftAdapter.ConfigName)));

        Hashtable root;
        using (var s = File.OpenRead(pt)) root = PyTorchUnpickler.UnpickleStateDict(s);
        var sd = (IDictionary)root["model_state_dict"]!;
        Assert.Equal(12, sd.Count);
        var key = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight";
        Assert.True(sd.Contains(key));
        var q = (LoraLinear)model.model.layers[0].self_attn.q_proj;
        Assert.True(((Tensor)sd[key]!).allclose(q.lora_A.weight!, 0, 0));

        using var fresh = TinyStep1.Create();
        Step1Lora.Inject(fresh, config);
        Assert.Equal(12, Step1Export.LoadPt(fresh, pt));
        fresh.eval();
        var ids = TinyStep1.Ids();
        using var ng = no_grad();
        Assert.True(model.forward(ids).allclose(fresh.forward(ids), 1e-6, 1e-6));
    }
}
