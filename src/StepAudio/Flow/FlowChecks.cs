using StepAudio.Nn;
using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>The argument checks the flow's public entry points share (see <see cref="TensorChecks"/>).</summary>
static class FlowChecks
{
    const string TokenHint = "flow tokens are dual-codebook frames [vq02 0..1023 or 1024 = pad, vq06 1025..5120]; " +
                             "build them with DualCodebookTokens.Reshape from the mixed stream";

    /// <summary>token [B, T, 2] integer below the vocabulary (negatives are padding, clamped to 0); token_len [B] integer.</summary>
    public static void Tokens(string api, Tensor token, Tensor tokenLen, long vocab, Device device,
        string tokenName = "token", string lenName = "token_len")
    {
        TensorChecks.Check(token, api, tokenName, TensorKind.Integer, "batch", "frames", 2);
        TensorChecks.Check(tokenLen, api, lenName, TensorKind.Integer, new Dim("batch", token.shape[0]));
        TensorChecks.OnDevice(token, api, tokenName, device);
        TensorChecks.IdsInRange(token, api, tokenName, long.MinValue, vocab, TokenHint);
    }

    /// <summary>embedding [B, spk_embed_dim] floating-point, on the model's device.</summary>
    public static void Speaker(string api, Tensor embedding, long batch, long dim, Device device, string name = "embedding")
    {
        TensorChecks.Check(embedding, api, name, TensorKind.Float, batch < 0 ? "batch" : new Dim("batch", batch), dim);
        TensorChecks.OnDevice(embedding, api, name, device);
    }

    /// <summary>
    /// The estimator's inputs: <paramref name="x"/>, mu and cond [B, mel, T] floating-point, mask [B, 1, T],
    /// spks [B, mel], all on the model's device.
    /// </summary>
    public static void Estimator(string api, long mel, Device device, Tensor x, Tensor mask, Tensor mu, Tensor spks,
        Tensor cond, string xName = "x")
    {
        TensorChecks.Check(x, api, xName, TensorKind.Float, "batch", mel, "frames");
        var b = new Dim("batch", x.shape[0]);
        var t = new Dim("frames", x.shape[2]);
        TensorChecks.Check(mask, api, "mask", TensorKind.Any, b, 1L, t);
        TensorChecks.Check(mu, api, "mu", TensorKind.Float, b, mel, t);
        TensorChecks.Check(spks, api, "spks", TensorKind.Float, b, mel);
        TensorChecks.Check(cond, api, "cond", TensorKind.Float, b, mel, t);
        foreach (var (arg, name) in new[] { (x, xName), (mask, "mask"), (mu, "mu"), (spks, "spks"), (cond, "cond") })
            TensorChecks.OnDevice(arg, api, name, device);
    }

    /// <summary>Training draws for batch <paramref name="b"/> and <paramref name="frames"/> mel frames.</summary>
    public static void Draws(string api, CfmDraws? draws, long b, long mel, long frames)
    {
        if (draws is null) throw new ArgumentNullException(nameof(draws), $"{api}: draws is null");
        var batch = new Dim("batch", b);
        TensorChecks.Check(draws.T, api, "draws.T", TensorKind.Float, batch);
        TensorChecks.Check(draws.Z, api, "draws.Z", TensorKind.Float, batch, mel, new Dim("frames", frames));
        TensorChecks.Check(draws.CfgKeep, api, "draws.CfgKeep", TensorKind.Any, batch);
        TensorChecks.Check(draws.PromptLen, api, "draws.PromptLen", TensorKind.Integer, batch);
    }
}
