using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using StepAudio.Nn;
using StepAudio.Tokenizers.FrontEnds;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers.Onnx;

/// <summary>
/// CosyVoice's CAM++ speaker encoder (<c>campplus.onnx</c>, <c>frontend.extract_spk_embedding</c>):
/// the mean-removed 80-bin fbank <c>[1, T, 80]</c> in, a 192-d speaker embedding out.
/// </summary>
public sealed class CamPlusPlusOnnx : IDisposable
{
    public const int Bins = 80;
    public const int EmbeddingSize = 192;

    readonly OnnxModel model;

    public CamPlusPlusOnnx(string onnxPath)
    {
        model = OnnxModel.Load(onnxPath,
            [new("fbank", TensorElementType.Float, 1, -1, Bins)],
            [new("embedding", TensorElementType.Float, 1, EmbeddingSize)]);
    }

    public OnnxModel Model => model;

    /// <summary>The embedding of a CAM++ fbank <c>[1, T, 80]</c>.</summary>
    public float[] Embed(Tensor fbank)
    {
        TensorChecks.Check(fbank, "CamPlusPlusOnnx.Embed", nameof(fbank), TensorKind.Float, 1, "frames", Bins);
        if (fbank.shape[1] == 0) throw new TensorArgumentException("CamPlusPlusOnnx.Embed: fbank has no frames", nameof(fbank));
        using var f32 = fbank.to(ScalarType.Float32).cpu().contiguous();
        using var input = OrtValue.CreateTensorValueFromMemory(f32.data<float>().ToArray(), fbank.shape);
        using var outputs = model.Run([input]);
        var embedding = outputs.First().GetTensorDataAsSpan<float>().ToArray();
        if (embedding.Length != EmbeddingSize)
            throw new InputException(model.Path, null, null, $"the model gave {embedding.Length} values; CAM++ gives {EmbeddingSize}",
                "is this campplus.onnx?");
        return embedding;
    }

    /// <summary>The embedding of 16 kHz mono audio <c>[N]</c>, through <see cref="SpeechFrontEnds.CamPlusPlus"/>.</summary>
    public float[] EmbedWaveform(Tensor waveform)
    {
        using var fbank = SpeechFrontEnds.CamPlusPlus(waveform, SpeechFrontEnds.CamPlusPlusOptions);
        return Embed(fbank);
    }

    public void Dispose() => model.Dispose();
}
