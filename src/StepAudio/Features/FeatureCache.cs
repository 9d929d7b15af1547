using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using StepAudio.Audio;
using StepAudio.Checkpoints;
using static TorchSharp.torch;

namespace StepAudio.Features;

/// <summary>
/// Per-clip features on disk, so later epochs and runs never recompute them. An entry is one safetensors file named
/// <c>{sha256 of the audio file bytes}-{parameter hash}.safetensors</c> holding the log-mel and, once later stages
/// add them, the audio tokens and speaker embedding. Its metadata records the key, the parameters JSON, the format
/// version and a sha256 of every tensor's bytes. Entries are written to a temporary file and renamed, so concurrent
/// writers leave one whole file. A truncated, unparsable or checksum-failing entry (<see cref="FeatureCacheEventKind.Corrupt"/>)
/// or one from other parameters or another format version (<see cref="FeatureCacheEventKind.Stale"/>) is reported
/// through <see cref="Reported"/> and rebuilt, never used. Audio tokens and speaker embeddings made by an
/// <see cref="Tokenizers.IAudioTokenizer"/> / <see cref="Tokenizers.ISpeakerEncoder"/> live in their own entries,
/// keyed by the clip's key and the model's identity (FeatureCache.Tokens.cs).
/// </summary>
public sealed partial class FeatureCache : IDisposable
{
    const string MelSlot = "mel", TokensSlot = "audio_tokens", SpeakerSlot = "speaker_embedding";
    const string Meta = "stepaudio.";
    readonly SpeechFeatureExtractor extractor;
    readonly ConcurrentDictionary<string, object> locks = new();

    /// <summary>A cache in <paramref name="directory"/> (created on first write) for <paramref name="parameters"/>.</summary>
    public FeatureCache(string directory, FeatureParams? parameters = null)
    {
        Directory = Path.GetFullPath(directory);
        extractor = new SpeechFeatureExtractor(parameters);
    }

    /// <summary>The cache folder.</summary>
    public string Directory { get; }

    /// <summary>The parameters features are computed with.</summary>
    public FeatureParams Params => extractor.Params;

    /// <summary>Every hit, miss, corrupt or stale entry and every write (may be raised from several threads).</summary>
    public event Action<FeatureCacheEvent>? Reported;

    /// <summary>The features of a WAV file: read from the cache when a valid entry exists, else computed and stored.</summary>
    public ClipFeatures Get(string wavPath)
    {
        var (bytes, key) = ReadAudio(wavPath);
        lock (LockFor(key))
            return GetLocked(wavPath, bytes, key);
    }

    /// <summary>The cached features of a WAV file, or null when no valid entry exists (nothing is computed).</summary>
    public ClipFeatures? TryGet(string wavPath)
    {
        var (_, key) = ReadAudio(wavPath);
        lock (LockFor(key))
            return TryRead(wavPath, key);
    }

    /// <summary>
    /// Stores the clip's audio tokens (int64 <c>[N]</c>, or dual-codebook <c>[T, 2]</c>), replacing any stored ones;
    /// the log-mel is reused when its entry is valid.
    /// </summary>
    public ClipFeatures SetAudioTokens(string wavPath, Tensor tokens)
    {
        if (tokens.dtype != ScalarType.Int64 || !(tokens.dim() == 1 || (tokens.dim() == 2 && tokens.shape[1] == 2)))
            throw new ArgumentException($"audio tokens must be int64 [N] or [T, 2]; got {tokens.dtype} [{string.Join(", ", tokens.shape)}]");
        return SetSlot(wavPath, TokensSlot, tokens);
    }

    /// <summary>Stores the clip's speaker embedding (float32 <c>[D]</c>, 192 for CAM++), replacing any stored one.</summary>
    public ClipFeatures SetSpeakerEmbedding(string wavPath, Tensor embedding)
    {
        if (embedding.dtype != ScalarType.Float32 || embedding.dim() != 1)
            throw new ArgumentException($"speaker embedding must be float32 [D]; got {embedding.dtype} [{string.Join(", ", embedding.shape)}]");
        return SetSlot(wavPath, SpeakerSlot, embedding);
    }

    /// <summary>The entry file for a key.</summary>
    public string EntryPath(string key) => Path.Combine(Directory, key + ".safetensors");

    /// <summary>The key of a WAV file: sha256 of its bytes plus the parameter hash.</summary>
    public string KeyOf(string wavPath) => ReadAudio(wavPath).Key;

    ClipFeatures SetSlot(string wavPath, string slot, Tensor value)
    {
        var (bytes, key) = ReadAudio(wavPath);
        lock (LockFor(key))
        {
            using var current = GetLocked(wavPath, bytes, key);
            var slots = new Dictionary<string, Tensor> { [MelSlot] = current.Mel };
            if (current.AudioTokens is { } t) slots[TokensSlot] = t;
            if (current.SpeakerEmbedding is { } s) slots[SpeakerSlot] = s;
            using var stored = value.detach().cpu().contiguous();
            slots[slot] = stored;
            Write(wavPath, key, slots);
            return new ClipFeatures(key, current.Mel.clone(), slots.GetValueOrDefault(TokensSlot)?.clone(),
                slots.GetValueOrDefault(SpeakerSlot)?.clone());
        }
    }

    ClipFeatures GetLocked(string wavPath, byte[] bytes, string key)
    {
        var cached = TryRead(wavPath, key);
        if (cached is not null) return cached;
        var clip = WavFile.FromBytes(bytes, wavPath, out _);
        var mel = extractor.Extract(clip, wavPath);
        Write(wavPath, key, new Dictionary<string, Tensor> { [MelSlot] = mel });
        return new ClipFeatures(key, mel, null, null);
    }

    ClipFeatures? TryRead(string wavPath, string key)
    {
        var path = EntryPath(key);
        if (!File.Exists(path))
        {
            Report(FeatureCacheEventKind.Miss, wavPath, path, null);
            return null;
        }
        var loaded = new List<Tensor>();
        try
        {
            using var file = SafetensorsFile.Open(path);
            var meta = file.Metadata;
            string version = meta.GetValueOrDefault(Meta + "version") ?? "none";
            if (version != FeatureParams.FormatVersion.ToString(CultureInfo.InvariantCulture))
                return Invalid(FeatureCacheEventKind.Stale, $"format version {version}, expected {FeatureParams.FormatVersion}");
            if (meta.GetValueOrDefault(Meta + "params") != Params.ToJson())
                return Invalid(FeatureCacheEventKind.Stale, "written with other feature parameters");
            if (meta.GetValueOrDefault(Meta + "key") != key)
                return Invalid(FeatureCacheEventKind.Stale, "entry key does not match the file (renamed or copied entry)");

            Tensor? Load(string slot, bool required)
            {
                if (!file.Entries.ContainsKey(slot))
                    return required ? throw new InvalidDataException($"no '{slot}' tensor") : null;
                var t = file.Read(slot);
                loaded.Add(t);
                if (meta.GetValueOrDefault(Meta + "sha256." + slot) != Checksum(t))
                    throw new InvalidDataException($"'{slot}' fails its sha256 checksum");
                return t;
            }

            var mel = Load(MelSlot, true)!;
            if (mel.dtype != ScalarType.Float32 || mel.dim() != 2 || mel.shape[0] != Params.Mel.NumMels)
                throw new InvalidDataException($"'mel' is {mel.dtype} [{string.Join(", ", mel.shape)}], expected float32 [{Params.Mel.NumMels}, T]");
            var tokens = Load(TokensSlot, false);
            if (tokens is not null && (tokens.dtype != ScalarType.Int64 || tokens.dim() is < 1 or > 2))
                throw new InvalidDataException($"'{TokensSlot}' is {tokens.dtype} [{string.Join(", ", tokens.shape)}]");
            var speaker = Load(SpeakerSlot, false);
            if (speaker is not null && (speaker.dtype != ScalarType.Float32 || speaker.dim() != 1))
                throw new InvalidDataException($"'{SpeakerSlot}' is {speaker.dtype} [{string.Join(", ", speaker.shape)}]");
            Report(FeatureCacheEventKind.Hit, wavPath, path, null);
            return new ClipFeatures(key, mel, tokens, speaker);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Anything unreadable is rebuilt, never trusted.
            return Invalid(FeatureCacheEventKind.Corrupt, e.Message);
        }

        ClipFeatures? Invalid(FeatureCacheEventKind kind, string reason)
        {
            foreach (var t in loaded) t.Dispose();
            Report(kind, wavPath, path, reason);
            return null;
        }
    }

    void Write(string wavPath, string key, Dictionary<string, Tensor> slots)
    {
        var meta = new Dictionary<string, string>
        {
            [Meta + "key"] = key,
            [Meta + "version"] = FeatureParams.FormatVersion.ToString(CultureInfo.InvariantCulture),
            [Meta + "params"] = Params.ToJson(),
            [Meta + "audio_sha256"] = key[..key.IndexOf('-')],
            [Meta + "source"] = wavPath,
        };
        foreach (var (slot, t) in slots) meta[Meta + "sha256." + slot] = Checksum(t);
        var path = EntryPath(key);
        SafetensorsFile.Save(path, slots, meta);
        Report(FeatureCacheEventKind.Written, wavPath, path, null);
    }

    static string Checksum(Tensor t)
    {
        using var c = t.contiguous();
        return Convert.ToHexStringLower(c.numel() == 0 ? SHA256.HashData(ReadOnlySpan<byte>.Empty) : SHA256.HashData(c.bytes));
    }

    (byte[] Bytes, string Key) ReadAudio(string wavPath)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(wavPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException(wavPath, null, null, "cannot read the audio file: " + e.Message,
                "check that the file exists and is readable");
        }
        return (bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)) + "-" + Params.Hash);
    }

    object LockFor(string key) => locks.GetOrAdd(key, _ => new object());

    void Report(FeatureCacheEventKind kind, string wavPath, string entry, string? reason, string slot = MelSlot) =>
        Reported?.Invoke(new FeatureCacheEvent(kind, wavPath, entry, reason, slot));

    /// <inheritdoc />
    public void Dispose() => extractor.Dispose();
}

/// <summary>
/// One feature-cache report: what happened, to which clip and entry file, and why. <see cref="Slot"/> says which kind
/// of entry: <c>mel</c> (the clip's feature entry), <c>audio_tokens</c> or <c>speaker_embedding</c> (per-model entries).
/// </summary>
public sealed record FeatureCacheEvent(FeatureCacheEventKind Kind, string AudioPath, string EntryPath, string? Reason = null,
    string Slot = "mel")
{
    /// <inheritdoc />
    public override string ToString() =>
        $"feature cache {(Slot == "mel" ? "" : Slot + " ")}{Kind.ToString().ToLowerInvariant()}: {AudioPath} ({EntryPath}){(Reason is null ? "" : ": " + Reason)}";
}

/// <summary>What happened to one feature-cache entry.</summary>
public enum FeatureCacheEventKind
{
    /// <summary>A valid entry was read; nothing was computed.</summary>
    Hit,
    /// <summary>No entry existed; features were computed.</summary>
    Miss,
    /// <summary>The entry was unreadable: truncated, bad header, checksum mismatch, missing or malformed tensor.</summary>
    Corrupt,
    /// <summary>The entry was written with other parameters or another format version.</summary>
    Stale,
    /// <summary>An entry was written (new, rebuilt, or with an updated slot).</summary>
    Written,
}
