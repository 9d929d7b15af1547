using StepAudio.Tokenizers.FrontEnds;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers.Paraformer;

/// <summary>
/// Step-Audio's vq02 ("linguistic") tokenizer, upstream tokenizer.py <c>get_vq02_code</c>: FunASR's streaming Paraformer
/// encoder run as the tokenizer runs it (<see cref="Vq02StreamingOptions.Upstream"/>, a fresh cache per utterance),
/// then the nearest k-means centroid of each encoder frame (<c>linguistic_tokenizer.npy</c>). About 16.7 codes per
/// second. Upstream first writes the waveform to an in-memory float WAV and reads it back; that round trip changes
/// samples by at most ~3e-8 (sox's integer path) and is not repeated here.
/// </summary>
public sealed class Vq02Tokenizer : IDisposable
{
    readonly Tensor? cmvn;

    /// <summary>Takes ownership of <paramref name="encoder"/>, <paramref name="cmvn"/> ([2, ≥ D] or null) and <paramref name="codebook"/>.</summary>
    public Vq02Tokenizer(SanmEncoderChunkOpt encoder, WavFrontendOnlineOptions frontEnd, Tensor? cmvn, LinguisticCodebook codebook,
        Vq02StreamingOptions? streaming = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(frontEnd);
        ArgumentNullException.ThrowIfNull(codebook);
        if (codebook.Dim != encoder.Config.OutputSize)
            throw new ArgumentException($"the codebook has {codebook.Dim}-d centroids but the encoder gives {encoder.Config.OutputSize}-d frames");
        Encoder = encoder;
        FrontEnd = frontEnd;
        this.cmvn = cmvn;
        Codebook = codebook;
        Streaming = streaming ?? Vq02StreamingOptions.Upstream;
    }

    /// <summary>The streaming SANM encoder.</summary>
    public SanmEncoderChunkOpt Encoder { get; }
    /// <summary>The front-end settings (dither 0).</summary>
    public WavFrontendOnlineOptions FrontEnd { get; }
    /// <summary>The k-means centroids.</summary>
    public LinguisticCodebook Codebook { get; }
    /// <summary>How the encoder is streamed.</summary>
    public Vq02StreamingOptions Streaming { get; }

    /// <summary>
    /// Loads a FunASR model folder (<c>config.yaml</c>, <c>model.pt</c>, <c>am.mvn</c>; upstream's
    /// <c>Step-Audio-Tokenizer/dengcunqin/speech_paraformer-large_asr_nat-zh-cantonese-en-16k-vocab8501-online</c>) and
    /// the codebook <c>linguistic_tokenizer.npy</c>. Missing or malformed files are <see cref="InputException"/>s.
    /// </summary>
    public static Vq02Tokenizer Load(string funasrModelDir, string codebookNpyPath)
    {
        ArgumentNullException.ThrowIfNull(funasrModelDir);
        ArgumentNullException.ThrowIfNull(codebookNpyPath);
        if (!Directory.Exists(funasrModelDir))
            throw new InputException(funasrModelDir, null, null, "the FunASR model folder does not exist",
                "download Step-Audio-Tokenizer and point at its dengcunqin/speech_paraformer-large_asr_nat-zh-cantonese-en-16k-vocab8501-online folder");
        if (!File.Exists(codebookNpyPath))
            throw new InputException(codebookNpyPath, null, null, "the vq02 codebook does not exist",
                "point at linguistic_tokenizer.npy from Step-Audio-Tokenizer");
        var config = FunAsrModelConfig.Load(Path.Combine(funasrModelDir, "config.yaml"));
        var cmvn = AmMvn.Load(Path.Combine(funasrModelDir, "am.mvn"));
        SanmEncoderChunkOpt? encoder = null;
        LinguisticCodebook? codebook = null;
        try
        {
            var mvnPath = Path.Combine(funasrModelDir, "am.mvn");
            if (cmvn.shape[1] < config.FrontEnd.OutputSize)
                throw new InputException(mvnPath, null, null,
                    $"holds {cmvn.shape[1]} values per row but the front end gives {config.FrontEnd.OutputSize}-wide frames",
                    "use the am.mvn that belongs to this config.yaml");
            encoder = new SanmEncoderChunkOpt(config.Encoder);
            ParaformerWeights.Load(encoder, Path.Combine(funasrModelDir, "model.pt"));
            codebook = LinguisticCodebook.Load(codebookNpyPath);
            if (codebook.Dim != config.Encoder.OutputSize)
                throw new InputException(codebookNpyPath, null, null,
                    $"has {codebook.Dim}-d centroids but the encoder gives {config.Encoder.OutputSize}-d frames",
                    "use the linguistic_tokenizer.npy that belongs to this Paraformer model");
            return new Vq02Tokenizer(encoder, config.FrontEnd, cmvn, codebook);
        }
        catch
        {
            cmvn.Dispose();
            encoder?.Dispose();
            codebook?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The encoder output <c>[1, T, d]</c> of one utterance (16 kHz mono, already preprocessed as tokenizer.py
    /// <c>preprocess_wav</c> does), streamed with a fresh cache. <paramref name="onChunk"/> sees every chunk. The caller
    /// owns the returned tensor (it is on the encoder's device).
    /// </summary>
    public Tensor EncoderOutput(ReadOnlySpan<float> wav16k, Action<ParaformerChunk>? onChunk = null)
    {
        using var stream = new ParaformerStream(Encoder, FrontEnd, cmvn, Streaming);
        return stream.Feed(wav16k, Streaming.IsFinal, onChunk);
    }

    /// <summary>vq02 codes (0 … K−1) of one utterance, int64 as upstream's <c>dump_label</c>; empty when it yields no encoder frame.</summary>
    public long[] Encode(ReadOnlySpan<float> wav16k)
    {
        using var scope = NewDisposeScope();
        var encoded = EncoderOutput(wav16k);
        if (encoded.size(1) == 0) return [];
        using var codes = Codebook.Encode(encoded[0]).cpu();
        return codes.data<long>().ToArray();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Encoder.Dispose();
        cmvn?.Dispose();
        Codebook.Dispose();
    }
}
