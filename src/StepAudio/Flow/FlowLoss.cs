using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// The result of <see cref="CausalMaskedDiffWithXvec.ComputeLoss"/>: the scalar <paramref name="Loss"/>, the
/// estimator's <paramref name="Pred"/> and target <paramref name="U"/> [B, 80, T], and the frame
/// <paramref name="Mask"/> [B, 1, T] the loss covered.
/// </summary>
public sealed record FlowLoss(Tensor Loss, Tensor Pred, Tensor U, Tensor Mask);
