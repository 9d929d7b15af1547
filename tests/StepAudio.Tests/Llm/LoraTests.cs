using StepAudio.Nn;
using StepAudio.Llm;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Tests.Llm;

public class LoraTests
{
    [Fact]
    public void RealConfigSummaryAllocatesNothing()
    {
        using var model = new Step1ForCausalLM(Step1Config.StepAudioEditX, torch.device(DeviceType.META));
        var before = ParameterSummary.Of(model);
        Assert.Equal(3_529_706_496, before.Total);
        Step1Lora.Inject(model, new LoraConfig { R = 8, Alpha = 32, Dropout = 0.05 });
        var s = ParameterSummary.Of(model);
        Assert.Equal(3_276_800, s.Trainable);
        Assert.Equal(3_529_706_496 + 3_276_800, s.Total);
        var qa = s.Groups.Single(g => g.Name == "model.layers.*.self_attn.q_proj.lora_A.weight");
        Assert.Equal(32, qa.Tensors);
        Assert.Equal(32L * 8 * 3072, qa.Trainable);
        Assert.All(model.parameters(), p => Assert.Equal(DeviceType.META, p.device_type));
    }

    [Fact]
    public void FreshAdapterFollowsPeftInitAndChangesNothing()
    {
        using var scope = NewDisposeScope();
        using var model = TinyStep1.Create();
        var ids = TinyStep1.Ids();
        Tensor before;
        using (no_grad()) before = model.forward(ids);
        var adapters = Step1Lora.Inject(model, new LoraConfig { R = 4, Alpha = 8, Dropout = 0 });
        Assert.Equal(2 * 3, adapters.Count);
        var q = adapters["model.layers.0.self_attn.q_proj"];
        Assert.Equal(2.0, q.Scaling);
        double bound = 1 / Math.Sqrt(TinyStep1.Config.HiddenSize);
        Assert.True(q.lora_A.weight!.abs().max().item<float>() <= bound);
        Assert.True(q.lora_A.weight!.std().item<float>() > bound / 4);
        Assert.Equal(0f, q.lora_B.weight!.abs().max().item<float>());
        using (no_grad()) Assert.True(before.allclose(model.forward(ids), 1e-6, 1e-6));
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.Equal(12, trainable.Count);
        Assert.All(trainable, n => Assert.True(Step1Lora.IsLoraParameter(n), n));
    }

    [Fact]
    public void DropoutActsOnTheLoraInputOnly()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var w = new TorchSharp.Modules.Parameter(randn(5, 7));
        using var lora = new LoraLinear(w, new LoraConfig { R = 2, Alpha = 4, Dropout = 0.5 });
        var x = randn(3, 7);
        lora.train();
        // With B = 0 the LoRA branch is zero: the base path must see the undropped input.
        Assert.True(lora.forward(x).allclose(nn.functional.linear(x, w), 1e-6, 1e-6));
        using (no_grad()) lora.lora_B.weight!.normal_();
        lora.eval();
        var eval = lora.forward(x);
        lora.train();
        Assert.False(lora.forward(x).allclose(eval, 1e-4, 1e-4));
        var expected = nn.functional.linear(x, w) + mm(mm(x, lora.lora_A.weight!.t()), lora.lora_B.weight!.t()) * 2.0;
        Assert.True(eval.allclose(expected, 1e-5, 1e-5));
    }

    [Fact]
    public void MergeAndUnmerge()
    {
        using var scope = NewDisposeScope();
        using var model = TinyStep1.Create();
        var adapters = Step1Lora.Inject(model, new LoraConfig { R = 2, Alpha = 6, Dropout = 0, TargetModules = new[] { "q_proj", "v_proj", "down_proj" } });
        Assert.Contains("model.layers.1.mlp.down_proj", adapters.Keys);
        using (no_grad()) foreach (var a in adapters.Values) a.lora_B.weight!.normal_(0, 0.1);
        model.eval();
        var ids = TinyStep1.Ids();
        using var _ = no_grad();
        var w0 = model.model.layers[0].self_attn.q_proj is LoraLinear l ? l.weight.clone() : throw new Exception();
        var adapted = model.forward(ids);
        Step1Lora.Merge(model);
        Assert.True(adapted.allclose(model.forward(ids), 1e-5, 1e-5));
        Assert.False(w0.allclose(((LoraLinear)model.model.layers[0].self_attn.q_proj).weight));
        Step1Lora.Unmerge(model);
        Assert.True(w0.allclose(((LoraLinear)model.model.layers[0].self_attn.q_proj).weight, 1e-6, 1e-6));
        Assert.True(adapted.allclose(model.forward(ids), 1e-5, 1e-5));
    }

    [Fact]
    public void BadLoraConfigIsRejected()
    {
        using var model = TinyStep1.Create();
        var e = Assert.Throws<InputException>(() => Step1Lora.Inject(model, new LoraConfig { TargetModules = new[] { "c_attn" } }));
        Assert.Contains("target_modules", e.Message);
    }
}
