using StepAudio.Audio;
using StepAudio.Features;
using StepAudio.Tokenizers;
using static TorchSharp.torch;

namespace StepAudio.Training;

/// <summary>
/// What training reads per clip: the cached log-mel, the mixed audio tokens and the speaker embedding, each computed
/// once and cached under keys that include the tokenizer's and speaker encoder's identity.
/// </summary>
public interface IClipFeatureSource
{
    /// <summary>The 24 kHz log-mel [80, T] (caller disposes).</summary>
    Tensor Mel(string wavPath);

    /// <summary>The mixed token stream (0..5119).</summary>
    int[] Tokens(string wavPath);

    /// <summary>The mixed tokens of the clip as a prompt: after upstream's prompt preprocessing (<see cref="PromptTokenizer"/>).</summary>
    int[] PromptTokens(string wavPath);

    /// <summary>The speaker embedding.</summary>
    float[] Embedding(string wavPath);

    /// <summary>The speaker encoder's embedding width (a manifest's precomputed <c>speaker_embedding</c> must match it).</summary>
    int EmbeddingDimension { get; }

    /// <summary>Identity of the tokenizer and speaker encoder, recorded in the run and its checkpoints.</summary>
    string Identity { get; }
}

/// <summary>
/// <see cref="IClipFeatureSource"/> over a <see cref="FeatureCache"/> and a tokenizer/speaker-encoder pair. Results
/// are memoised for the run, so a clip is looked up (and its file hashed) once per run, not once per epoch.
/// </summary>
public sealed class CachedClipFeatures(FeatureCache cache, IAudioTokenizer tokenizer, ISpeakerEncoder speaker) : IClipFeatureSource, IDisposable
{
    readonly PromptTokenizer promptTokenizer = new(tokenizer);
    readonly Dictionary<string, int[]> tokens = new();
    readonly Dictionary<string, int[]> promptTokens = new();
    readonly Dictionary<string, float[]> embeddings = new();

    /// <inheritdoc />
    public string Identity => tokenizer.Identity + "+" + speaker.Identity;

    /// <inheritdoc />
    public Tensor Mel(string wavPath)
    {
        using var f = cache.Get(wavPath);
        return f.Mel.clone();
    }

    /// <inheritdoc />
    public int[] Tokens(string wavPath)
    {
        if (!tokens.TryGetValue(wavPath, out var t))
            tokens[wavPath] = t = cache.GetAudioTokens(wavPath, tokenizer);
        return t;
    }

    /// <inheritdoc />
    public int[] PromptTokens(string wavPath)
    {
        if (!promptTokens.TryGetValue(wavPath, out var t))
            promptTokens[wavPath] = t = cache.GetAudioTokens(wavPath, promptTokenizer);
        return t;
    }

    /// <inheritdoc />
    public void Dispose() => promptTokenizer.Dispose();

    /// <inheritdoc />
    public int EmbeddingDimension => speaker.Dimension;

    /// <inheritdoc />
    public float[] Embedding(string wavPath)
    {
        if (!embeddings.TryGetValue(wavPath, out var e))
            embeddings[wavPath] = e = cache.GetSpeakerEmbedding(wavPath, speaker);
        return e;
    }
}
