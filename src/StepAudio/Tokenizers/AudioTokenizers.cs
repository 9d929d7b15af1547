using StepAudio.Audio;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers;

/// <summary>
/// One clip as the tokenizers see it: the decoded audio (any rate, any channel count) and its cached 24 kHz log-mel
/// <c>[80, T]</c> (50 frames/s). The real tokenizer works from <see cref="Clip"/>, the tiny default's from
/// <see cref="Mel"/>. <see cref="Source"/> names the file in errors.
/// </summary>
public sealed record TokenizerInput(AudioClip Clip, Tensor Mel, string Source);

/// <summary>
/// Turns audio into Step-Audio's mixed token stream: values 0..5119, groups of 2 vq02 ("linguistic", 16.7 Hz, 0..1023)
/// then 3 vq06 ("semantic", 25 Hz, 1024..5119) codes, as upstream's <c>wav2token</c> minus 65536.
/// </summary>
public interface IAudioTokenizer
{
    /// <summary>Name and hash of the model files, part of every cached token entry's key (another codebook never reads stale tokens).</summary>
    string Identity { get; }

    /// <summary>The mixed stream of one clip (a multiple of 5 long).</summary>
    int[] Tokenize(TokenizerInput input);
}

/// <summary>A 192-d speaker embedding per clip (upstream: CAM++ <c>campplus.onnx</c>).</summary>
public interface ISpeakerEncoder
{
    /// <summary>Name and hash of the model files, part of every cached embedding's key.</summary>
    string Identity { get; }

    /// <summary>Embedding width (192 for CAM++).</summary>
    int Dimension { get; }

    /// <summary>The embedding of one clip.</summary>
    float[] Embed(TokenizerInput input);
}
