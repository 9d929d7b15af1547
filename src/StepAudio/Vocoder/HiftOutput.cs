using static TorchSharp.torch;

namespace StepAudio.Vocoder;

/// <summary>
/// One HiFT run: <see cref="Wav"/> <c>[B, T·480]</c> in [-0.99, 0.99], the NSF excitation <see cref="Source"/>
/// <c>[B, 1, T·480]</c> and the predicted <see cref="F0"/> <c>[B, T]</c> in Hz.
/// </summary>
public sealed record HiftOutput(Tensor Wav, Tensor Source, Tensor F0) : IDisposable
{
    /// <summary>Disposes the three tensors.</summary>
    public void Dispose()
    {
        Wav.Dispose();
        Source.Dispose();
        F0.Dispose();
    }
}
