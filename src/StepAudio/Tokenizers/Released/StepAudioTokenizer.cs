using StepAudio.Tokenizers.FrontEnds;
using StepAudio.Tokenizers.Onnx;
using StepAudio.Tokenizers.Paraformer;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers.Released;

/// <summary>
/// Step-Audio's dual-codebook tokenizer (tokenizer.py <c>StepAudioTokenizer.wav2token</c>): the clip, downmixed,
/// resampled to 16 kHz, energy-normalised and silence-trimmed, goes through the streaming Paraformer encoder + k-means
/// codebook (vq02, 16.7 Hz) and the S3 ONNX tokenizer (vq06, 25 Hz); the codes are interleaved 2:3 into the mixed
/// stream. A clip that is silent or too short for one token group is an <see cref="InputException"/> naming it.
/// </summary>
public sealed class StepAudioTokenizer : IAudioTokenizer, IDisposable
{
    /// <summary>
    /// Peak below which a clip counts as silent (−60 dBFS, the data validator's level): energy normalisation would only
    /// amplify noise into tokens.
    /// </summary>
    public static readonly float SilencePeak = (float)Math.Pow(10, Data.ManifestValidator.SilentPeakDbfs / 20);

    readonly Vq02Tokenizer vq02;
    readonly S3Vq06Tokenizer vq06;

    StepAudioTokenizer(Vq02Tokenizer vq02, S3Vq06Tokenizer vq06, string identity)
    {
        this.vq02 = vq02;
        this.vq06 = vq06;
        Identity = identity;
    }

    /// <summary>Loads the tokenizer folder (see <see cref="StepAudioTokenizerFiles.Locate"/>).</summary>
    public static StepAudioTokenizer Load(StepAudioTokenizerFiles files)
    {
        var identity = ModelFileIdentity.Of("step-audio-tokenizer", files.AllFiles);
        var vq02 = Vq02Tokenizer.Load(files.FunAsrModelDir, files.Codebook);
        try
        {
            return new StepAudioTokenizer(vq02, new S3Vq06Tokenizer(files.Vq06Onnx), identity);
        }
        catch
        {
            vq02.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public string Identity { get; }

    /// <inheritdoc />
    public int[] Tokenize(TokenizerInput input)
    {
        var (vq02Codes, vq06Codes, seconds) = Codes(input);
        var tokens = Vq0206Tokens.TokenNumbers(vq02Codes, vq06Codes);
        if (tokens.Length == 0)
            throw new InputException(input.Source, null, null,
                $"is too short to tokenize: {seconds:0.###} s of speech after silence trimming gave {vq02Codes.Length} vq02 and " +
                $"{vq06Codes.Length} vq06 codes, and one token group needs 2 and 3",
                "use a clip with at least about 0.2 s of speech, or remove it from the manifest");
        return tokens;
    }

    /// <summary>The raw vq02 and vq06 codes of a clip (upstream's <c>vq02_ori</c>, <c>vq06_ori</c>) and the tokenized seconds.</summary>
    public (long[] Vq02, long[] Vq06, double Seconds) Codes(TokenizerInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var mono = input.Clip.ToMono();
        if (mono.Length == 0)
            throw new InputException(input.Source, null, null, "has no samples", "replace or remove the clip");
        float peak = mono.Max(MathF.Abs);
        if (peak < SilencePeak)
            throw new InputException(input.Source, null, null, $"is silent (peak {peak:0.###e0})",
                "replace the clip or remove it from the manifest");
        var wav16 = TokenizerPreprocess.Preprocess(mono, input.Clip.SampleRate);
        double seconds = wav16.Length / (double)TokenizerPreprocess.TokenizerSampleRate;
        var codes02 = vq02.Encode(wav16);
        long[] codes06;
        using (var audio = tensor(wav16)) codes06 = vq06.Encode(audio);
        return (codes02, codes06, seconds);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        vq02.Dispose();
        vq06.Dispose();
    }
}
