using StepAudio.Audio;
using StepAudio.Tokenizers.Onnx;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers.Released;

/// <summary>
/// The released model's speaker encoder (CosyVoice <c>frontend.extract_spk_embedding</c>): the clip downmixed and
/// resampled to 16 kHz, its mean-removed Kaldi fbank through <c>campplus.onnx</c> → 192 floats. A clip shorter than one
/// fbank frame (25 ms) is an <see cref="InputException"/> naming it.
/// </summary>
public sealed class CamPlusPlusEncoder : ISpeakerEncoder, IDisposable
{
    /// <summary>CAM++'s rate.</summary>
    public const int SampleRate = 16000;
    /// <summary>One 25 ms fbank frame at 16 kHz.</summary>
    public const int MinSamples = 400;

    readonly CamPlusPlusOnnx model;

    /// <summary>Loads <paramref name="onnxPath"/> (a missing or wrong file is an <see cref="InputException"/>).</summary>
    public CamPlusPlusEncoder(string onnxPath)
    {
        model = new CamPlusPlusOnnx(onnxPath);
        Identity = ModelFileIdentity.Of("campplus", onnxPath);
    }

    /// <inheritdoc />
    public string Identity { get; }

    /// <inheritdoc />
    public int Dimension => CamPlusPlusOnnx.EmbeddingSize;

    /// <inheritdoc />
    public float[] Embed(TokenizerInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var wav16 = Resampler.Resample(input.Clip.ToMono(), input.Clip.SampleRate, SampleRate);
        if (wav16.Length < MinSamples)
            throw new InputException(input.Source, null, null,
                $"is too short for a speaker embedding ({wav16.Length / (double)SampleRate:0.###} s; CAM++ needs at least 25 ms)",
                "use a longer clip or remove it from the manifest");
        using var waveform = tensor(wav16);
        return model.EmbedWaveform(waveform);
    }

    /// <inheritdoc />
    public void Dispose() => model.Dispose();
}
