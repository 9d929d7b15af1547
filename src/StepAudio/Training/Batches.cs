using StepAudio.Flow;
using StepAudio.Llm;
using StepAudio.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Training;

/// <summary>Padding of examples into batches and the two losses on a batch.</summary>
public static class Batches
{
    /// <summary>
    /// Flow clips → a padded <see cref="FlowBatch"/> (tokens padded with 0 and masked by length, mels with 0) on
    /// <paramref name="device"/> (default CPU): padded on the CPU where the clips live, then moved once.
    /// </summary>
    public static FlowBatch CollateFlow(IReadOnlyList<FlowClip> clips, Device? device = null)
    {
        device ??= CPU;
        using var scope = NewDisposeScope();
        long t = clips.Max(c => c.Token.shape[0]);
        long tm = clips.Max(c => c.Feat.shape[0]);
        int b = clips.Count;
        long mels = clips[0].Feat.shape[1];
        var token = zeros(new long[] { b, t, 2 }, ScalarType.Int64);
        var feat = zeros(b, tm, mels);
        for (int i = 0; i < b; i++)
        {
            token[i].narrow(0, 0, clips[i].Token.shape[0]).copy_(clips[i].Token);
            feat[i].narrow(0, 0, clips[i].Feat.shape[0]).copy_(clips[i].Feat);
        }
        var tokenLen = tensor(clips.Select(c => c.Token.shape[0]).ToArray());
        var featLen = tensor(clips.Select(c => c.Feat.shape[0]).ToArray());
        var emb = stack(clips.Select(c => c.Embedding).ToArray());
        return new FlowBatch(token.to(device).MoveToOuterDisposeScope(), tokenLen.to(device).MoveToOuterDisposeScope(),
            feat.to(device).MoveToOuterDisposeScope(), featLen.to(device).MoveToOuterDisposeScope(), emb.to(device).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The CFM loss of <paramref name="clips"/> (mean over their valid mel frames × 80). Each sample's draws (prompt
    /// prefix, t, CFG keep, noise) come from a generator seeded with its own <paramref name="seeds"/> entry, so a
    /// sample gets the same draws whichever batch it is in: accumulating micro-batches equals one big batch.
    /// </summary>
    public static Tensor FlowLoss(CausalMaskedDiffWithXvec flow, IReadOnlyList<FlowClip> clips, IReadOnlyList<ulong> seeds)
    {
        using var scope = NewDisposeScope();
        var batch = CollateFlow(clips, flow.Device);
        long maxLen = 2 * batch.SpeechToken.shape[1];
        int b = clips.Count;
        var t = new Tensor[b];
        var keep = new Tensor[b];
        var prompt = new Tensor[b];
        var z = zeros(b, flow.Config.OutputSize, maxLen);   // drawn on the CPU (same draws on any device); ComputeLoss moves them
        for (int i = 0; i < b; i++)
        {
            using var g = new Generator(seeds[i]);
            long len = clips[i].ValidFrames;
            var d = CfmDraws.Sample(g, new[] { len }, len, flow.Config.Cfm, flow.Config.OutputSize);
            (t[i], keep[i], prompt[i]) = (d.T, d.CfgKeep, d.PromptLen);
            z[i].narrow(1, 0, len).copy_(d.Z[0]);
        }
        using var draws = new CfmDraws(cat(t), z, cat(keep), cat(prompt));
        return flow.ComputeLoss(batch, draws).Loss.MoveToOuterDisposeScope();
    }

    /// <summary>The shifted next-token loss of <paramref name="items"/> (mean over their scored tokens).</summary>
    public static Tensor LlmLoss(Step1ForCausalLM llm, IReadOnlyList<LlmItem> items)
    {
        using var scope = NewDisposeScope();
        using var batch = Step1Batch.Collate(items.Select(i => i.Example).ToList(), llm.Config.PadTokenId);
        var device = llm.LmHeadWeight.device;
        var (_, loss) = llm.forward(batch.InputIds.to(device), batch.Labels.to(device));
        return loss.MoveToOuterDisposeScope();
    }
}
