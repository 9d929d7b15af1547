using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// The flow-matching estimator (stepvocoder/cosyvoice2/flow/decoder_dit.py <c>DiT</c>): input
/// x ‖ mu ‖ spks (broadcast over T) ‖ cond on channels → in_proj → <c>depth</c> DiT blocks conditioned on the time
/// embedding → final layer. The attention mask is a key-padding mask only; the conv branch sees no mask.
/// </summary>
public sealed class Dit : nn.Module
{
#pragma warning disable IDE1006
    readonly TimestepEmbedder t_embedder;
    readonly Linear in_proj;
    readonly ModuleList<DitBlock> blocks;
    readonly FinalLayer final_layer;
#pragma warning restore IDE1006

    public Dit(DitConfig c) : base(nameof(Dit))
    {
        Config = c;
        t_embedder = new TimestepEmbedder(c.HiddenSize);
        in_proj = nn.Linear(c.InChannels, c.HiddenSize);
        blocks = nn.ModuleList(Enumerable.Range(0, c.Depth)
            .Select(_ => new DitBlock(c.HiddenSize, c.NumHeads, c.HeadDim, c.MlpRatio)).ToArray());
        final_layer = new FinalLayer(c.HiddenSize, c.OutChannels);
        RegisterComponents();
    }

    /// <summary>The configuration this estimator was built from.</summary>
    public DitConfig Config { get; }

    /// <summary>
    /// x, mu, cond [B, 80, T]; mask [B, 1, T] (float 0/1 or bool); t [B]; spks [B, 80] → velocity [B, 80, T].
    /// </summary>
    public Tensor Forward(Tensor x, Tensor mask, Tensor mu, Tensor t, Tensor spks, Tensor cond)
    {
        using var scope = NewDisposeScope();
        var c = t_embedder.forward(t).unsqueeze(1);                                   // (B, 1, H)
        var spk = spks.unsqueeze(2).expand(spks.size(0), spks.size(1), x.size(2));
        var h = cat(new[] { x, mu, spk, cond }, 1).transpose(1, 2);                  // (B, T, 320)
        var keyMask = mask.to_type(ScalarType.Bool).unsqueeze(1);                     // (B, 1, 1, T)
        h = in_proj.forward(h);
        foreach (var block in blocks) h = block.Forward(h, c, keyMask);
        h = final_layer.Forward(h, c);
        return h.transpose(1, 2).MoveToOuterDisposeScope();
    }
}
