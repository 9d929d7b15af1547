using StepAudio.Audio;
using StepAudio.Nn;
using StepAudio.Flow;
using StepAudio.Training;
using StepAudio.Vocoder;
using static TorchSharp.torch;

namespace StepAudio.Inference;

/// <summary>A clip's mel rebuilt by the flow from its own tokens: the part after the prompt, target and generated.</summary>
/// <param name="Target">The clip's log-mel after the prompt part [80, T].</param>
/// <param name="Generated">The flow's mel for the same frames [80, T].</param>
/// <param name="MeanAbsoluteError">Mean |target − generated| over all bins and frames (log-mel units).</param>
/// <param name="PromptFrames">Mel frames given to the flow as the condition.</param>
public sealed record FlowResynthesisResult(float[,] Target, float[,] Generated, double MeanAbsoluteError, int PromptFrames);

/// <summary>
/// Checks the flow alone, without the LLM: the first third of a clip (tokens and mel) is the prompt, the rest of its
/// true tokens are rendered, and the result is compared with the clip's real mel. What the flow learns shows here
/// directly, while a clone also depends on what the LLM writes.
/// </summary>
public static class FlowResynthesis
{
    /// <summary>Resynthesises <paramref name="clip"/> with <paramref name="flow"/> (eval mode, no gradient, seeded noise).</summary>
    public static FlowResynthesisResult Run(CausalMaskedDiffWithXvec flow, FlowClip clip, int nTimesteps, long seed = 0)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bool wasTraining = flow.training;
        flow.eval();
        try
        {
            long tokens = Math.Min(clip.Token.shape[0], clip.Feat.shape[0] / 2);   // whole dual frames with mel behind them
            if (tokens < 3) throw new ArgumentException($"{clip.Path} is too short to split into prompt and target", nameof(clip));
            long prompt = Math.Max(1, tokens / 3);
            var device = flow.Device;
            var promptToken = clip.Token.narrow(0, 0, prompt).unsqueeze(0).to(device);
            var token = clip.Token.narrow(0, prompt, tokens - prompt).unsqueeze(0).to(device);
            var promptFeat = clip.Feat.narrow(0, 0, 2 * prompt).unsqueeze(0).to(device);
            using var generator = new Generator((ulong)seed + 17);
            var noise = randn(new long[] { 1, flow.Config.OutputSize, 2 * tokens }, generator: generator).to(device);
            var generated = flow.Inference(token, tensor(new[] { tokens - prompt }, device: device), promptToken,
                tensor(new[] { prompt }, device: device), promptFeat, tensor(new[] { 2 * prompt }, device: device),
                clip.Embedding.unsqueeze(0).to(device), noise, nTimesteps)[0];
            var target = clip.Feat.narrow(0, 2 * prompt, 2 * (tokens - prompt)).transpose(0, 1).to(device);
            double mae = (generated - target).abs().mean().item<float>();
            return new FlowResynthesisResult(TensorArrays.ToFloat2D(target), TensorArrays.ToFloat2D(generated), mae, (int)(2 * prompt));
        }
        finally
        {
            if (wasTraining) flow.train();
        }
    }

    /// <summary>A mel [80, T] as audio through <paramref name="vocoder"/>.</summary>
    public static AudioClip Listen(IVocoder vocoder, float[,] mel)
    {
        using var scope = NewDisposeScope();
        return vocoder.SynthesizeClip(tensor(mel).unsqueeze(0));
    }
}
