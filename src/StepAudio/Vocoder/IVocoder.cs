using static TorchSharp.torch;

namespace StepAudio.Vocoder;

/// <summary>
/// Turns log-mel features into a waveform. The trainer, <c>clone</c> and the notebooks use this and never care which
/// vocoder runs; <c>VocoderFactory</c> picks one from <c>model.flow.vocoder</c>.
/// </summary>
public interface IVocoder : IDisposable
{
    /// <summary>The config name of this vocoder (<c>hift</c>, <c>griffin_lim</c>).</summary>
    string Name { get; }

    /// <summary>Rate of the returned waveform in Hz.</summary>
    int SampleRate { get; }

    /// <summary>Output samples per input mel frame.</summary>
    int SamplesPerFrame { get; }

    /// <summary>Log-mel <c>[B, 80, T]</c> → waveform <c>[B, T · SamplesPerFrame]</c>, on the mel's device. No gradient.</summary>
    Tensor Synthesize(Tensor mel);
}
