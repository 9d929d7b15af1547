using StepAudio.Config;
using StepAudio.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Tests.Training;

[Collection(StepAudio.Tests.Platform.GlobalTorchState.Name)]   // the trainer seeds LibTorch's global generator and sets its thread count
public class TrainingStepTests
{
    static Dictionary<string, Tensor> Gradients(IEnumerable<(string Name, Parameter Parameter)> ps) =>
        ps.ToDictionary(p => p.Name, p => p.Parameter.grad is { } g ? g.clone() : zeros_like(p.Parameter));

    static void ZeroGrad(TrainingModels m)
    {
        foreach (var (_, p) in m.LlmTrainable.Concat(m.FlowTrainable)) p.grad = null;
    }

    static void AssertClose(Dictionary<string, Tensor> a, Dictionary<string, Tensor> b, double scaleB = 1)
    {
        foreach (var (name, ga) in a)
        {
            var gb = b[name] * scaleB;
            double tol = 1e-5 * (1 + ga.abs().max().item<float>());
            Assert.True((ga - gb).abs().max().item<float>() <= tol, $"{name}: gradients differ by {(ga - gb).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void Accumulating_TwoMicroBatches_EqualsOneBatch_WithUnequalLengths()
    {
        var config = TrainingFixture.Config(c => c.Model.Llm.LoraDropout = 0);
        using var inputs = TrainingInputs.Prepare(config, llm: true, flow: true);
        var m = inputs.Models;
        var split = inputs.Train;
        // Two examples of clearly different lengths.
        var byLength = Enumerable.Range(0, split.Llm.Count).OrderBy(i => split.Llm[i].Example.Length).ToList();
        int a = byLength[0], b = byLength[^1];
        Assert.NotEqual(split.Llm[a].TargetTokens, split.Llm[b].TargetTokens);
        var fa = split.Joint.First(j => j.Llm == a).Flow;
        var fb = split.Joint.First(j => j.Llm == b).Flow;
        Assert.NotEqual(split.Flow[fa].ValidFrames, split.Flow[fb].ValidFrames);
        foreach (var (stage, x, y, ps) in new[]
                 {
                     (TrainingStage.Llm, a, b, m.LlmTrainable),
                     (TrainingStage.Flow, fa, fb, m.FlowTrainable),
                 })
        {
            ZeroGrad(m);
            var big = TrainingStep.Accumulate(m, split, stage, [[x, y]], config.Loss, 7, 3);
            var gBig = Gradients(ps);
            ZeroGrad(m);
            var acc = TrainingStep.Accumulate(m, split, stage, [[x], [y]], config.Loss, 7, 3);
            var gAcc = Gradients(ps);
            Assert.Equal(big.Loss, acc.Loss, 5);
            AssertClose(gBig, gAcc);
        }
    }

    [Fact]
    public void JointStep_IsTheWeightedSumOfBothLosses_AndGradients()
    {
        var config = TrainingFixture.Config(c => { c.Loss.LlmWeight = 0.3; c.Loss.FlowWeight = 0.9; });
        using var inputs = TrainingInputs.Prepare(config, llm: true, flow: true);
        var m = inputs.Models;
        var split = inputs.Train;
        int[] window = [0, 1, 2];
        ZeroGrad(m);
        var joint = TrainingStep.Accumulate(m, split, TrainingStage.Joint, [window], config.Loss, 11, 5);
        var gJoint = Gradients(m.LlmTrainable.Concat(m.FlowTrainable));
        ZeroGrad(m);
        var llm = TrainingStep.Accumulate(m, split, TrainingStage.Llm, [window.Select(i => split.Joint[i].Llm).ToArray()], config.Loss, 11, 5);
        var gLlm = Gradients(m.LlmTrainable);
        ZeroGrad(m);
        var flow = TrainingStep.Accumulate(m, split, TrainingStage.Flow, [window.Select(i => split.Joint[i].Flow).ToArray()], config.Loss, 11, 5);
        var gFlow = Gradients(m.FlowTrainable);
        Assert.Equal(llm.Loss, joint.Llm, 5);
        Assert.Equal(flow.Loss, joint.Flow, 5);
        Assert.Equal(0.3 * llm.Loss + 0.9 * flow.Loss, joint.Loss, 5);
        AssertClose(gJoint.Where(kv => gLlm.ContainsKey(kv.Key)).ToDictionary(), gLlm, 0.3);
        AssertClose(gJoint.Where(kv => gFlow.ContainsKey(kv.Key)).ToDictionary(), gFlow, 0.9);
        ZeroGrad(m);
    }
}
