using StepAudio.Flow;
using static TorchSharp.torch;

namespace StepAudio.Tests.Flow;

/// <summary>Small random flow models and batches for the flow tests.</summary>
static class TinyFlow
{
    public static string FlowPt => Path.Combine(TestPaths.ParityDir, "flow", "flow.pt");

    /// <summary>A <see cref="FlowConfig.Tiny"/> model with seeded random weights.</summary>
    public static CausalMaskedDiffWithXvec Model(int seed = 7, FlowConfig? config = null)
    {
        manual_seed(seed);
        return new CausalMaskedDiffWithXvec(config ?? FlowConfig.Tiny);
    }

    /// <summary>Random dual tokens [B, T, 2] in the flow vocabulary with -1 past each length.</summary>
    public static Tensor Tokens(Generator g, long[] lengths, long maxLen)
    {
        var tok = randint(0, 5121, new long[] { lengths.Length, maxLen, 2 }, generator: g);
        for (int i = 0; i < lengths.Length; i++)
            if (lengths[i] < maxLen) tok[i].narrow(0, lengths[i], maxLen - lengths[i]).fill_(-1);
        return tok;
    }
}
