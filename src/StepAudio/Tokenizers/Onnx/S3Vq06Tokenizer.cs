using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using StepAudio.Nn;
using StepAudio.Tokenizers.FrontEnds;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers.Onnx;

/// <summary>
/// Step-Audio-EditX's vq06 tokenizer (<c>speech_tokenizer_v1.onnx</c>, upstream <c>get_vq06_code</c>): 16 kHz audio cut
/// into 30 s chunks (the model's maximum), each turned into whisper's 128-mel log-mel and run through the model;
/// the chunks' codes are concatenated (about 25 per second).
/// </summary>
public sealed class S3Vq06Tokenizer : IDisposable
{
    public const int SampleRate = 16000;
    public const int ChunkSamples = 30 * SampleRate;
    /// <summary>Upstream drops chunks shorter than this (30 ms): too short for a code.</summary>
    public const int MinChunkSamples = 480;

    readonly OnnxModel model;
    readonly WhisperLogMel logMel;
    readonly bool ownsLogMel;

    public S3Vq06Tokenizer(string onnxPath, WhisperLogMel? logMel = null)
    {
        this.logMel = logMel ?? new WhisperLogMel();
        ownsLogMel = logMel is null;
        try
        {
            model = OnnxModel.Load(onnxPath,
                [new("feats", TensorElementType.Float, 1, this.logMel.Options.NMels, -1), new("feats_length", TensorElementType.Int32, 1)],
                [new("codes", TensorElementType.Int64, 1, -1)]);
        }
        catch
        {
            if (ownsLogMel) this.logMel.Dispose();
            throw;
        }
    }

    public OnnxModel Model => model;

    /// <summary>Upstream's <c>split_audio</c>: consecutive 30 s pieces, a last piece under 480 samples dropped.</summary>
    public static IReadOnlyList<(long Start, long Length)> SplitChunks(long samples, long chunkSamples = ChunkSamples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSamples, 1);
        var chunks = new List<(long, long)>();
        for (long start = 0; start < samples; start += chunkSamples)
        {
            long len = Math.Min(chunkSamples, samples - start);
            if (len >= MinChunkSamples) chunks.Add((start, len));
        }
        return chunks;
    }

    /// <summary>Codes of one chunk's log-mel <c>[n_mels, T]</c>, fed as <c>feats [1, n_mels, T]</c> and <c>feats_length [T]</c>.</summary>
    public long[] CodesForFeatures(Tensor feats)
    {
        TensorChecks.Check(feats, "S3Vq06Tokenizer.CodesForFeatures", nameof(feats), TensorKind.Float, logMel.Options.NMels, "frames");
        if (feats.shape[1] == 0) throw new TensorArgumentException("S3Vq06Tokenizer.CodesForFeatures: feats has no frames", nameof(feats));
        using var f32 = feats.to(ScalarType.Float32).cpu().contiguous();
        var data = f32.data<float>().ToArray();
        long frames = feats.shape[1];
        using var featsValue = OrtValue.CreateTensorValueFromMemory(data, [1, feats.shape[0], frames]);
        using var lenValue = OrtValue.CreateTensorValueFromMemory(new[] { checked((int)frames) }, [1]);
        using var outputs = model.Run([featsValue, lenValue]);
        return outputs.First().GetTensorDataAsSpan<long>().ToArray();
    }

    /// <summary>vq06 codes of 16 kHz mono audio <c>[N]</c> or <c>[1, N]</c>.</summary>
    public long[] Encode(Tensor audio)
    {
        const string api = "S3Vq06Tokenizer.Encode";
        if (audio?.dim() == 2) TensorChecks.Check(audio, api, nameof(audio), TensorKind.Float, 1, "samples");
        else TensorChecks.Check(audio, api, nameof(audio), TensorKind.Float, "samples");
        using var flat = audio!.dim() == 2 ? audio.squeeze(0) : audio.alias();
        var codes = new List<long>();
        foreach (var (start, length) in SplitChunks(flat.shape[0]))
        {
            using var chunk = flat.narrow(0, start, length);
            using var feats = logMel.Compute(chunk);
            var chunkCodes = CodesForFeatures(feats);
            // Upstream asserts this rate: a model giving another rate is not the vq06 tokenizer.
            double expected = Math.Round(length / (double)SampleRate, 2) * 25;
            if (Math.Abs(chunkCodes.Length - expected) > 2)
                throw new InputException(model.Path, null, null,
                    $"the model gave {chunkCodes.Length} codes for {length / (double)SampleRate:0.##} s of audio; vq06 gives 25 per second",
                    "is this speech_tokenizer_v1.onnx?");
            codes.AddRange(chunkCodes);
        }
        return codes.ToArray();
    }

    public void Dispose()
    {
        model.Dispose();
        if (ownsLogMel) logMel.Dispose();
    }
}
