using StepAudio.Flow;
using static TorchSharp.torch;

namespace StepAudio.CrashProbe;

/// <summary>Wrong inputs for the flow: its encoder, inference, training loss and DiT estimator.</summary>
static class FlowCases
{
    static ProbeCase Case(string name, string expect, Action run) => new(name, expect, () =>
    {
        using var scope = NewDisposeScope();
        run();
    });

    static Tensor Tokens(long b, long t) => randint(0, 1024, new long[] { b, t, 2 });
    static Tensor Lengths(params long[] l) => tensor(l);

    public static IEnumerable<ProbeCase> All(CausalMaskedDiffWithXvec flow)
    {
        yield return Case("flow.encode.no-codebook-axis", "token must be integer [batch, frames, 2]; got int64 [2, 5]",
            () => flow.Encode(randint(0, 1024, new long[] { 2, 5 }), Lengths(5, 4)));
        yield return Case("flow.encode.float-tokens", "token must be integer [batch, frames, 2]; got float32 [2, 5, 2]",
            () => flow.Encode(Tokens(2, 5).to_type(ScalarType.Float32), Lengths(5, 4)));
        yield return Case("flow.encode.token-past-vocab", "token id 6000 is outside the vocabulary",
            () => flow.Encode(Tokens(2, 5).index_fill_(1, tensor(new long[] { 2 }), 6000), Lengths(5, 4)));
        yield return Case("flow.encode.lengths-batch", "token_len must be integer [batch=2]; got int64 [3]",
            () => flow.Encode(Tokens(2, 5), Lengths(5, 4, 3)));
        yield return Case("flow.project-speaker.width", "embedding must be floating-point [batch, 192]; got float32 [1, 100]",
            () => flow.ProjectSpeaker(zeros(1, 100)));

        yield return Case("flow.inference.batch-2", "flow inference runs one utterance at a time (batch 1)",
            () => Inference(flow, token: Tokens(2, 4), tokenLen: Lengths(4, 4)));
        yield return Case("flow.inference.prompt-feat-bins", "prompt_feat must be floating-point [1, frames, 80]; got float32 [1, 6, 40]",
            () => Inference(flow, promptFeat: zeros(1, 6, 40)));
        yield return Case("flow.inference.embedding-width", "embedding must be floating-point [batch=1, 192]; got float32 [1, 100]",
            () => Inference(flow, embedding: zeros(1, 100)));
        yield return Case("flow.inference.noise-short", "noise must be floating-point [1 or 1, 80, >= 14]; got float32 [1, 80, 5]",
            () => Inference(flow, noise: randn(1, 80, 5)));
        yield return Case("flow.inference.prompt-token-past-vocab", "prompt_token: token id 9999 is outside the vocabulary",
            () => Inference(flow, promptToken: full(new long[] { 1, 3, 2 }, 9999L, ScalarType.Int64)));

        yield return Case("flow.loss.feat-bins", "speech_feat must be floating-point [batch=2, frames, 80]; got float32 [2, 10, 40]",
            () => Loss(flow, feat: zeros(2, 10, 40)));
        yield return Case("flow.loss.embedding-batch", "embedding must be floating-point [batch=2, 192]; got float32 [3, 192]",
            () => Loss(flow, embedding: zeros(3, 192)));
        yield return Case("flow.loss.feat-len-batch", "speech_feat_len must be integer [batch=2]; got int64 [1]",
            () => Loss(flow, featLen: Lengths(10)));
        yield return Case("flow.loss.draws-frames", "draws.Z must be floating-point [batch=2, 80, frames=10]; got float32 [2, 80, 7]",
            () => Loss(flow, drawFrames: 7));

        var dit = flow.Decoder.Estimator;
        yield return Case("flow.dit.mel-channels", "x must be floating-point [batch, 80, frames]; got float32 [1, 64, 6]",
            () => dit.forward(zeros(1, 64, 6), ones(1, 1, 6), zeros(1, 80, 6), zeros(1), zeros(1, 80), zeros(1, 80, 6)));
        yield return Case("flow.dit.mask-frames", "mask must be a tensor [batch=1, 1, frames=6]; got float32 [1, 1, 5]",
            () => dit.forward(zeros(1, 80, 6), ones(1, 1, 5), zeros(1, 80, 6), zeros(1), zeros(1, 80), zeros(1, 80, 6)));
        yield return Case("flow.cfm.sample-spks-batch", "spks must be floating-point [batch=1, 80]; got float32 [2, 80]",
            () => flow.Decoder.Sample(zeros(1, 80, 6), ones(1, 1, 6), zeros(2, 80), zeros(1, 80, 6), randn(1, 80, 6), 1));
        yield return Case("flow.encoder.xs-width", "xs must be floating-point [batch, frames, 64]; got float32 [1, 5, 80]",
            () => flow.Encoder.forward(zeros(1, 5, 80), Lengths(5)));
    }

    static void Inference(CausalMaskedDiffWithXvec flow, Tensor? token = null, Tensor? tokenLen = null, Tensor? promptToken = null,
        Tensor? promptFeat = null, Tensor? embedding = null, Tensor? noise = null)
    {
        using var _ = flow.Inference(token ?? Tokens(1, 4), tokenLen ?? Lengths(4), promptToken ?? Tokens(1, 3), Lengths(3),
            promptFeat ?? zeros(1, 6, 80), Lengths(6), embedding ?? randn(1, 192), noise ?? randn(1, 80, 14), 1);
    }

    static void Loss(CausalMaskedDiffWithXvec flow, Tensor? feat = null, Tensor? featLen = null, Tensor? embedding = null,
        long drawFrames = 10)
    {
        var batch = new FlowBatch(Tokens(2, 5), Lengths(5, 4), feat ?? zeros(2, 10, 80), featLen ?? Lengths(10, 8),
            embedding ?? randn(2, 192));
        using var g = new Generator(3);
        using var draws = CfmDraws.Sample(g, [Math.Min(10, drawFrames), Math.Min(8, drawFrames)], drawFrames, flow.Config.Cfm);
        flow.ComputeLoss(batch, draws);
    }
}
