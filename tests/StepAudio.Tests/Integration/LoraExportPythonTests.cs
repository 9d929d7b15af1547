using StepAudio.Checkpoints;
using StepAudio.Llm;
using StepAudio.Tests.Llm;
using static TorchSharp.torch;

namespace StepAudio.Tests.Integration;

/// <summary>Python torch loads our LoRA exports the way the fork's <c>load_finetuned_model</c> and PEFT do.</summary>
[Trait("Tier", "Integration")]
public class LoraExportPythonTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TorchLoadsPtAdapterAndMergedWeights(int shards)
    {
        using var scope = NewDisposeScope();
        var dir = TestPaths.NewTempDir();
        using var model = TinyStep1.Create();
        var basePath = Path.Combine(dir, "base.safetensors");
        SafetensorsFile.Save(basePath, model.state_dict());
        var config = new LoraConfig { R = 4, Alpha = 16, Dropout = 0.05 };
        Step1Lora.Inject(model, config);
        using (no_grad())
            foreach (var a in Step1Lora.Adapters(model).Values) a.lora_B.weight!.normal_(0, 0.1);
        var pt = Path.Combine(dir, "ckpt", "llm_best.pt");
        Directory.CreateDirectory(Path.GetDirectoryName(pt)!);
        Step1Export.SavePt(model, pt, config, epoch: 2);
        var merged = Path.Combine(dir, "merged");
        long oneShard = model.named_parameters().Where(p => !Step1Lora.IsLoraParameter(p.name)).Sum(p => p.parameter.numel() * 4);
        Step1Export.SaveMerged(model, merged, ScalarType.Float32, maxShardBytes: shards == 1 ? oneShard * 2 : oneShard / 2);

        var output = IntegrationTier.RunPython("check_lora_export.py", pt, basePath, merged);
        Assert.Contains("pt keys 12 live-PeftModel names, epoch 2", output);
        Assert.Contains("adapter 12 tensors equal the .pt, r 4 alpha 16", output);
        Assert.Contains("merged W = W + scaling*B@A", output);
        Directory.Delete(dir, true);
    }
}
