using StepAudio.Flow;
using static TorchSharp.torch;

namespace StepAudio.Tests.Parity;

/// <summary>
/// <c>flow_encoder</c>: DualCodebookEmbedding + UpsampleConformerEncoderV2 + encoder_proj + speaker projection on a
/// padded batch, upstream-exact (padding leaks), and the padding-masked path against the stored solo run.
/// </summary>
public sealed class FlowEncoderParity : IParityComponent
{
    public string Component => "flow_encoder";

    public void Run(ParityFixture f, ParityReport r)
    {
        // The fixture holds only the encoder side; a zero-depth estimator keeps the model small.
        var config = FlowConfig.FromJson(f.Config) with
        {
            Estimator = new DitConfig { Depth = 0, HiddenSize = 8, NumHeads = 1, HeadDim = 8 },
        };
        using var model = new CausalMaskedDiffWithXvec(config);
        model.eval();
        var load = FlowCheckpoint.Load(model, f.WeightsPath, strict: false);
        r.Check(load.Unexpected.Count == 0 && load.Mismatched.Count == 0
                && load.Missing.All(k => k.StartsWith("decoder.", StringComparison.Ordinal)),
            "encoder-side weights do not line up with the model: " + load);

        using var noGrad = no_grad();
        var token = f.In("token");
        var tokenLen = f.In("token_len");
        r.Compare("spks", model.ProjectSpeaker(f.In("embedding")));

        var (h, hMask, hLen) = model.Encode(token, tokenLen, maskPadding: false);
        r.Compare("h", h);
        r.CompareIfStored("h_mask", hMask);
        r.CompareIfStored("h_len", hLen);
        foreach (var (name, value) in Intermediates(model, token, tokenLen))
        {
            r.CompareIfStored(name, value);
            r.CompareIfStored("debug." + name, value);
        }

        // The padding-masked path must give, for the padded sample, what upstream gives for it alone.
        if (f.Io.ContainsKey("h_sample1_alone"))
        {
            var alone = f.In("h_sample1_alone");
            var (hm, _, _) = model.Encode(token, tokenLen, maskPadding: true);
            r.Compare("h_sample1_alone", hm.narrow(0, 1, 1).narrow(1, 0, alone.size(1)));
        }
    }

    /// <summary>
    /// Upstream's intermediate outputs (upstream-exact, no padding mask), recomputed here from the model's public
    /// modules in upsample_encoder_v2.py's order, so the library needs no tracing hooks.
    /// </summary>
    static IEnumerable<(string Name, Tensor Value)> Intermediates(CausalMaskedDiffWithXvec model, Tensor token, Tensor tokenLen)
    {
        var m = model.named_modules().ToDictionary(x => x.name, x => x.module);
        var emb = model.EmbedTokens(token, tokenLen);
        yield return ("token_emb", emb);
        var (x, pos) = ((LinearNoSubsampling)m["encoder.embed"]).forward(emb);
        yield return ("embed_out", x);
        x = ((PreLookaheadLayer)m["encoder.pre_lookahead_layer"]).call(x);
        yield return ("pre_lookahead_out", x);
        var masks = FlowMasks.Valid(tokenLen, x.size(1)).unsqueeze(1);
        for (int i = 0; m.TryGetValue($"encoder.encoders.{i}", out var layer); i++)
            x = ((ConformerEncoderLayer)layer).forward(x, masks, pos);
        var (up, _) = ((Upsample1D)m["encoder.up_layer"]).forward(x.transpose(1, 2), tokenLen);
        yield return ("up_layer_out", up);
        yield return ("up_embed_out", ((LinearNoSubsampling)m["encoder.up_embed"]).forward(up.transpose(1, 2)).Item1);
        yield return ("encoder_out", model.Encoder.forward(emb, tokenLen, maskPadding: false).Xs);
    }
}
