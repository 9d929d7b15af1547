using System.Text.Json.Nodes;
using StepAudio.Checkpoints;
using StepAudio.Config;
using StepAudio.Tests.Training;
using StepAudio.Training;

namespace StepAudio.Tests.Integration;

/// <summary>Python torch loads a finetune run's llm_best.pt and flow_best.pt with the key sets and shapes the fork's loader matches.</summary>
[Trait("Tier", "Integration")]
[Collection(StepAudio.Tests.Platform.GlobalTorchState.Name)]
public class RunCheckpointPythonTests
{
    [Fact]
    public void TorchLoadsTheBestCheckpoints_WithPeftAndFlowKeys()
    {
        var config = TrainingFixture.Config();
        var run = TrainingFixture.Run(config, new TrainerOptions { Mode = TrainMode.Both }).Summary.RunDirectory;
        var json = JsonNode.Parse(IntegrationTier.RunPython("check_run_checkpoints.py", run).Trim().Split('\n')[^1])!;

        using var models = TrainingModels.Build(config, llm: true, flow: true);
        var llmKeys = json["llm"]!["keys"]!.AsObject();
        var expectedLlm = models.LlmTrainable.ToDictionary(p => PeftAdapter.LiveKey(p.Name), p => p.Parameter.shape);
        Assert.Equal(expectedLlm.Keys.Order(), llmKeys.Select(kv => kv.Key).Order());
        foreach (var (key, shape) in expectedLlm)
            Assert.Equal(shape, llmKeys[key]!.AsArray().Select(x => x!.GetValue<long>()).ToArray());
        Assert.Contains(llmKeys, kv => kv.Key == "base_model.model.lm_head.lora_A.default.weight");
        Assert.Empty(json["llm"]!["non_finite"]!.AsArray());

        var flowKeys = json["flow"]!["keys"]!.AsObject();
        var expectedFlow = models.Flow!.state_dict();
        Assert.Equal(expectedFlow.Keys.Order(), flowKeys.Select(kv => kv.Key).Order());
        foreach (var (key, t) in expectedFlow)
            Assert.Equal(t.shape, flowKeys[key]!.AsArray().Select(x => x!.GetValue<long>()).ToArray());
        Assert.Contains("decoder.estimator.blocks.0.attn.to_q.weight", flowKeys.Select(kv => kv.Key));
        Assert.Empty(json["flow"]!["non_finite"]!.AsArray());
        Assert.Equal("[\"torch.float32\"]", json["flow"]!["dtypes"]!.ToJsonString());
        Assert.True(json["flow"]!["epoch"]!.GetValue<int>() >= 2);

        var adapter = json["adapter_config"]!;
        Assert.Equal(config.Model.Llm.LoraR, adapter["r"]!.GetValue<int>());
        Assert.Equal(config.Model.Llm.LoraTargetModules.Order(), adapter["target_modules"]!.AsArray().Select(x => x!.GetValue<string>()).Order());
    }
}
