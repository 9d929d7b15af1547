using static TorchSharp.torch;

namespace StepAudio.Features;

/// <summary>
/// The cached features of one clip: the log-mel <c>[num_mels, T]</c> (float32), and the slots later stages fill:
/// audio tokens (int64 <c>[N]</c>, or dual-codebook <c>[T, 2]</c>) and the speaker embedding (float32 <c>[192]</c>).
/// Owns its tensors.
/// </summary>
public sealed class ClipFeatures : IDisposable
{
    internal ClipFeatures(string key, Tensor mel, Tensor? audioTokens, Tensor? speakerEmbedding)
    {
        Key = key; Mel = mel; AudioTokens = audioTokens; SpeakerEmbedding = speakerEmbedding;
    }

    /// <summary>The entry key: sha256 of the audio file bytes and the feature-parameter hash.</summary>
    public string Key { get; }
    /// <summary>Log-mel <c>[num_mels, T]</c>.</summary>
    public Tensor Mel { get; }
    /// <summary>Audio tokens (int64 <c>[N]</c> or <c>[T, 2]</c>), when stored.</summary>
    public Tensor? AudioTokens { get; }
    /// <summary>Speaker embedding (float32 <c>[D]</c>, 192 for CAM++), when stored.</summary>
    public Tensor? SpeakerEmbedding { get; }

    /// <summary>Mel frames.</summary>
    public long Frames => Mel.shape[1];

    /// <inheritdoc />
    public void Dispose()
    {
        Mel.Dispose();
        AudioTokens?.Dispose();
        SpeakerEmbedding?.Dispose();
    }
}
