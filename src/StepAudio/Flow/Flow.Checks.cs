using StepAudio.Nn;
using static TorchSharp.torch;

namespace StepAudio.Flow;

public sealed partial class CausalMaskedDiffWithXvec
{
    /// <summary>Where the weights live; inputs must be there too.</summary>
    public Device Device => spk_embed_affine_layer.weight!.device;

    void CheckInference(Tensor token, Tensor tokenLen, Tensor promptToken, Tensor promptTokenLen, Tensor promptFeat,
        Tensor promptFeatLen, Tensor embedding, Tensor noise)
    {
        const string api = "CausalMaskedDiffWithXvec.Inference";
        FlowChecks.Tokens(api, token, tokenLen, Config.VocabSize, Device);
        if (token.shape[0] != 1)
            throw new TensorArgumentException($"{api}: flow inference runs one utterance at a time (batch 1); token is {TensorChecks.Describe(token)}", nameof(token));
        FlowChecks.Tokens(api, promptToken, promptTokenLen, Config.VocabSize, Device, "prompt_token", "prompt_token_len");
        if (promptToken.shape[0] != 1)
            throw new TensorArgumentException($"{api}: prompt_token must have batch 1; got {TensorChecks.Describe(promptToken)}", nameof(promptToken));
        TensorChecks.Check(promptFeat, api, "prompt_feat", TensorKind.Float, 1L, "frames", Config.OutputSize);
        TensorChecks.OnDevice(promptFeat, api, "prompt_feat", Device);
        TensorChecks.Check(promptFeatLen, api, "prompt_feat_len", TensorKind.Integer, 1L);
        FlowChecks.Speaker(api, embedding, 1, Config.SpkEmbedDim, Device);
        TensorChecks.Check(noise, api, "noise", TensorKind.Float, 1L, Config.OutputSize, "frames");
    }

    void CheckBatch(FlowBatch? batch)
    {
        const string api = "CausalMaskedDiffWithXvec.ComputeLoss";
        if (batch is null) throw new ArgumentNullException(nameof(batch), $"{api}: batch is null");
        FlowChecks.Tokens(api, batch.SpeechToken, batch.SpeechTokenLen, Config.VocabSize, Device, "speech_token", "speech_token_len");
        var b = new Dim("batch", batch.SpeechToken.shape[0]);
        TensorChecks.Check(batch.SpeechFeat, api, "speech_feat", TensorKind.Float, b, "frames", Config.OutputSize);
        TensorChecks.OnDevice(batch.SpeechFeat, api, "speech_feat", Device);
        TensorChecks.Check(batch.SpeechFeatLen, api, "speech_feat_len", TensorKind.Integer, b);
        FlowChecks.Speaker(api, batch.Embedding, b.Size, Config.SpkEmbedDim, Device);
    }
}
