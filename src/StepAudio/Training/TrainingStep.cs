using StepAudio.Config;
using StepAudio.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Training;

/// <summary>The forward and backward passes of one optimizer step over an accumulation window.</summary>
public static class TrainingStep
{
    /// <summary>
    /// Runs every micro-batch of <paramref name="window"/> (indices into the split's list for <paramref name="stage"/>:
    /// <c>Llm</c>, <c>Flow</c> or <c>Joint</c>) forward and backward, adding into the gradients. Each micro-batch's
    /// mean loss is weighted by its share of the window's scored tokens / mel frames, so the gradient is that of the
    /// token-/frame-weighted mean over the whole window, as one big batch would give, whatever the lengths. Returns
    /// the objective (joint: <c>llm_weight·llm + flow_weight·flow</c>) and its parts. LoRA dropout draws from the
    /// model's dropout generator, seeded from the global generator, which is seeded per (seed, step, micro-batch); CFM draws per (seed, step, clip): steps are numbered over
    /// the whole run, so no two steps share a seed, and a clip gets the same draws in whichever stage or batch it is.
    /// </summary>
    public static (double Loss, double Llm, double Flow) Accumulate(TrainingModels models, TrainingSplit split, TrainingStage stage,
        IReadOnlyList<int[]> window, LossConfig weights, int seed, long step)
    {
        using var scope = NewDisposeScope();
        var llmItems = window.Select(b => stage switch
        {
            TrainingStage.Llm => b.Select(i => split.Llm[i]).ToList(),
            TrainingStage.Joint => b.Select(i => split.Llm[split.Joint[i].Llm]).ToList(),
            _ => new List<LlmItem>(),
        }).ToList();
        var flowIndex = window.Select(b => stage switch
        {
            TrainingStage.Flow => b.ToList(),
            TrainingStage.Joint => b.Select(i => split.Joint[i].Flow).ToList(),
            _ => new List<int>(),
        }).ToList();
        double tokens = llmItems.Sum(b => b.Sum(i => (double)i.TargetTokens));
        double frames = flowIndex.Sum(b => b.Sum(c => (double)split.Flow[c].ValidFrames));
        double wl = stage == TrainingStage.Joint ? weights.LlmWeight : 1, wf = stage == TrainingStage.Joint ? weights.FlowWeight : 1;
        double llmLoss = 0, flowLoss = 0;
        using (models.Llm is { } m ? CpuConvolutionGuard.OneDnnProductsFor(m.LmHeadWeight) : null)
        {
            for (int b = 0; b < window.Count; b++)
            {
                using var micro = NewDisposeScope();
                torch.manual_seed(LengthBatcher.HashCode32(seed, (int)step, b));
                Tensor? total = null;
                if (llmItems[b].Count > 0)
                {
                    double share = llmItems[b].Sum(i => (double)i.TargetTokens) / tokens;
                    var l = Batches.LlmLoss(models.Llm!, llmItems[b]);
                    llmLoss += l.item<float>() * share;
                    total = l * (wl * share);
                }
                if (flowIndex[b].Count > 0)
                {
                    var clips = flowIndex[b].Select(c => split.Flow[c]).ToList();
                    double share = clips.Sum(c => (double)c.ValidFrames) / frames;
                    var seeds = flowIndex[b].Select(c => (ulong)LengthBatcher.HashCode32(seed, (int)step, c, 0xf1)).ToList();
                    var f = Batches.FlowLoss(models.Flow!, clips, seeds);
                    flowLoss += f.item<float>() * share;
                    var part = f * (wf * share);
                    total = total is null ? part : total + part;
                }
                total!.backward();
            }
        }
        double loss = stage switch
        {
            TrainingStage.Llm => llmLoss,
            TrainingStage.Flow => flowLoss,
            _ => wl * llmLoss + wf * flowLoss,
        };
        return (loss, llmLoss, flowLoss);
    }
}
