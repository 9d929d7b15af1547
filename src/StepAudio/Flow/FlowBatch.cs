using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// A padded training batch for the flow (CosyVoice batch names): <paramref name="SpeechToken"/> [B, T, 2] dual frames
/// (padding any value; it is masked), <paramref name="SpeechTokenLen"/> [B], <paramref name="SpeechFeat"/> [B, T_mel, 80]
/// log-mel at 2 frames per dual frame, <paramref name="SpeechFeatLen"/> [B], <paramref name="Embedding"/> [B, 192]
/// CAM++ speaker embeddings.
/// </summary>
public sealed record FlowBatch(Tensor SpeechToken, Tensor SpeechTokenLen, Tensor SpeechFeat, Tensor SpeechFeatLen,
    Tensor Embedding);
