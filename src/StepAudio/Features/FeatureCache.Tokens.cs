using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using StepAudio.Audio;
using StepAudio.Checkpoints;
using StepAudio.Data;
using StepAudio.Tokenizers;
using static TorchSharp.torch;

namespace StepAudio.Features;

// Per-model entries: a clip's audio tokens and speaker embedding depend on the tokenizer / encoder as well as on the
// audio, so each lives in its own file keyed by the clip's feature key and a hash of the model's Identity:
//   {cache}/audio-tokens/{feature key}-{identity hash}.safetensors        int64 [N]
//   {cache}/speaker-embeddings/{feature key}-{identity hash}.safetensors  float32 [D]
// Written atomically with a sha256 per tensor; corrupt or stale entries are reported and rebuilt like mel entries.
public sealed partial class FeatureCache
{
    /// <summary>Bumped when the layout of audio-token or speaker-embedding entries changes; older ones are rebuilt.</summary>
    public const int ModelEntryFormatVersion = 1;

    /// <summary>Sub-folder of <see cref="Directory"/> holding audio-token entries.</summary>
    public const string AudioTokensFolder = "audio-tokens";

    /// <summary>Sub-folder of <see cref="Directory"/> holding speaker-embedding entries.</summary>
    public const string SpeakerEmbeddingsFolder = "speaker-embeddings";

    /// <summary>
    /// The mixed-stream audio tokens (0..5119) of a WAV file made by <paramref name="tokenizer"/>: read from the cache
    /// when a valid entry for this audio, these feature parameters and this tokenizer identity exists; else computed
    /// from the cached log-mel and the decoded clip, and stored.
    /// </summary>
    public int[] GetAudioTokens(string wavPath, IAudioTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var (bytes, key) = ReadAudio(wavPath);
        var entry = AudioTokensEntryPath(key, tokenizer.Identity);
        lock (LockFor(entry))
        {
            var cached = TryReadModelEntry(wavPath, key, entry, TokensSlot, tokenizer.Identity, t =>
            {
                if (t.dtype != ScalarType.Int64 || t.dim() != 1)
                    throw new InvalidDataException($"'{TokensSlot}' is {t.dtype} [{string.Join(", ", t.shape)}], expected int64 [N]");
                var values = t.data<long>().ToArray();
                if (values.Length % 5 != 0 || values.Any(v => v is < 0 or >= ManifestReader.MixedTokenCount))
                    throw new InvalidDataException($"'{TokensSlot}' is not a mixed stream (length a multiple of 5, values 0..5119)");
                return values.Select(v => (int)v).ToArray();
            });
            if (cached is not null) return cached;

            int[] tokens;
            using (var features = MelLocked(wavPath, bytes, key))
                tokens = tokenizer.Tokenize(new TokenizerInput(WavFile.FromBytes(bytes, wavPath, out _), features.Mel, wavPath));
            if (tokens.Length % 5 != 0 || tokens.Any(v => v is < 0 or >= ManifestReader.MixedTokenCount))
                throw new InvalidOperationException(
                    $"{tokenizer.Identity} returned {tokens.Length} tokens for {wavPath}, not a mixed stream (a multiple of 5, values 0..5119)");
            using var stored = tensor(tokens.Select(v => (long)v).ToArray(), new long[] { tokens.Length }, ScalarType.Int64);
            WriteModelEntry(wavPath, key, entry, TokensSlot, tokenizer.Identity, stored);
            return tokens;
        }
    }

    /// <summary>
    /// The speaker embedding of a WAV file made by <paramref name="encoder"/> (<see cref="ISpeakerEncoder.Dimension"/>
    /// floats): read from the cache when a valid entry for this audio, these parameters and this encoder identity
    /// exists; else computed from the cached log-mel and the decoded clip, and stored.
    /// </summary>
    public float[] GetSpeakerEmbedding(string wavPath, ISpeakerEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var (bytes, key) = ReadAudio(wavPath);
        var entry = SpeakerEmbeddingEntryPath(key, encoder.Identity);
        lock (LockFor(entry))
        {
            var cached = TryReadModelEntry(wavPath, key, entry, SpeakerSlot, encoder.Identity, t =>
            {
                if (t.dtype != ScalarType.Float32 || t.dim() != 1 || t.shape[0] != encoder.Dimension)
                    throw new InvalidDataException(
                        $"'{SpeakerSlot}' is {t.dtype} [{string.Join(", ", t.shape)}], expected float32 [{encoder.Dimension}]");
                var values = t.data<float>().ToArray();
                if (values.Any(v => !float.IsFinite(v))) throw new InvalidDataException($"'{SpeakerSlot}' holds NaN or infinite values");
                return values;
            });
            if (cached is not null) return cached;

            float[] embedding;
            using (var features = MelLocked(wavPath, bytes, key))
                embedding = encoder.Embed(new TokenizerInput(WavFile.FromBytes(bytes, wavPath, out _), features.Mel, wavPath));
            if (embedding.Length != encoder.Dimension || embedding.Any(v => !float.IsFinite(v)))
                throw new InvalidOperationException(
                    $"{encoder.Identity} returned {embedding.Length} values for {wavPath} (expected {encoder.Dimension} finite floats)");
            using var stored = tensor(embedding, new long[] { embedding.Length }, ScalarType.Float32);
            WriteModelEntry(wavPath, key, entry, SpeakerSlot, encoder.Identity, stored);
            return embedding;
        }
    }

    /// <summary>The audio-token entry file for a feature key and a tokenizer identity.</summary>
    public string AudioTokensEntryPath(string key, string tokenizerIdentity) =>
        Path.Combine(Directory, AudioTokensFolder, $"{key}-{IdentityHash(tokenizerIdentity)}.safetensors");

    /// <summary>The speaker-embedding entry file for a feature key and an encoder identity.</summary>
    public string SpeakerEmbeddingEntryPath(string key, string encoderIdentity) =>
        Path.Combine(Directory, SpeakerEmbeddingsFolder, $"{key}-{IdentityHash(encoderIdentity)}.safetensors");

    static string IdentityHash(string identity) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];

    ClipFeatures MelLocked(string wavPath, byte[] bytes, string key)
    {
        lock (LockFor(key))
            return GetLocked(wavPath, bytes, key);
    }

    T? TryReadModelEntry<T>(string wavPath, string key, string path, string slot, string identity, Func<Tensor, T> convert)
        where T : class
    {
        if (!File.Exists(path))
        {
            Report(FeatureCacheEventKind.Miss, wavPath, path, null, slot);
            return null;
        }
        try
        {
            using var file = SafetensorsFile.Open(path);
            var meta = file.Metadata;
            string version = meta.GetValueOrDefault(Meta + "version") ?? "none";
            if (version != ModelEntryFormatVersion.ToString(CultureInfo.InvariantCulture))
                return Invalid(FeatureCacheEventKind.Stale, $"format version {version}, expected {ModelEntryFormatVersion}");
            if (meta.GetValueOrDefault(Meta + "key") != key)
                return Invalid(FeatureCacheEventKind.Stale, "entry key does not match the file (renamed or copied entry)");
            if (meta.GetValueOrDefault(Meta + "model") != identity)
                return Invalid(FeatureCacheEventKind.Stale, $"made by {meta.GetValueOrDefault(Meta + "model") ?? "an unknown model"}, not {identity}");
            if (meta.GetValueOrDefault(Meta + "params") != Params.ToJson())
                return Invalid(FeatureCacheEventKind.Stale, "written with other feature parameters");
            if (!file.Entries.ContainsKey(slot)) throw new InvalidDataException($"no '{slot}' tensor");
            using var t = file.Read(slot);
            if (meta.GetValueOrDefault(Meta + "sha256." + slot) != Checksum(t))
                throw new InvalidDataException($"'{slot}' fails its sha256 checksum");
            var value = convert(t);
            Report(FeatureCacheEventKind.Hit, wavPath, path, null, slot);
            return value;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Anything unreadable is rebuilt, never trusted.
            return Invalid(FeatureCacheEventKind.Corrupt, e.Message);
        }

        T? Invalid(FeatureCacheEventKind kind, string reason)
        {
            Report(kind, wavPath, path, reason, slot);
            return null;
        }
    }

    void WriteModelEntry(string wavPath, string key, string path, string slot, string identity, Tensor value)
    {
        var meta = new Dictionary<string, string>
        {
            [Meta + "key"] = key,
            [Meta + "version"] = ModelEntryFormatVersion.ToString(CultureInfo.InvariantCulture),
            [Meta + "model"] = identity,
            [Meta + "params"] = Params.ToJson(),
            [Meta + "audio_sha256"] = key[..key.IndexOf('-')],
            [Meta + "source"] = wavPath,
            [Meta + "sha256." + slot] = Checksum(value),
        };
        SafetensorsFile.Save(path, new Dictionary<string, Tensor> { [slot] = value }, meta);
        Report(FeatureCacheEventKind.Written, wavPath, path, null, slot);
    }
}
