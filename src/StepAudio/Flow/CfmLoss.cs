using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// One flow-matching loss evaluation: the scalar <paramref name="Loss"/> plus the noisy input <paramref name="Y"/>, the
/// target velocity <paramref name="U"/> and the estimator's prediction <paramref name="Pred"/> (all [B, 80, T]).
/// </summary>
public sealed record CfmLoss(Tensor Loss, Tensor Y, Tensor U, Tensor Pred);
