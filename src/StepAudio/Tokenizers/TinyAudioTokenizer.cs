using System.Globalization;
using System.Text.Json;
using StepAudio.Llm;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers;

/// <summary>How <see cref="TinyAudioTokenizer.Fit"/> fits its two codebooks.</summary>
public sealed record TinyAudioTokenizerOptions
{
    /// <summary>vq02 codebook size (upstream: 1024; at most 1024).</summary>
    public int Vq02CodebookSize { get; init; } = 64;
    /// <summary>vq06 codebook size (upstream: 4096; at most 4096).</summary>
    public int Vq06CodebookSize { get; init; } = 128;
    /// <summary>Cap on Lloyd iterations (the fit stops earlier when no assignment changes).</summary>
    public int MaxIterations { get; init; } = 50;
    /// <summary>Cap on training vectors per stream: beyond it a seeded uniform sample of the pooled frames is used.</summary>
    public int MaxFramesPerStream { get; init; } = 50_000;

    /// <summary>The defaults.</summary>
    public static TinyAudioTokenizerOptions Default { get; } = new();

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Canonical JSON (stored in the model file's metadata).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses <see cref="ToJson"/> output.</summary>
    public static TinyAudioTokenizerOptions FromJson(string json) =>
        JsonSerializer.Deserialize<TinyAudioTokenizerOptions>(json, Json) ?? throw new JsonException("null options");

    internal void Validate()
    {
        if (Vq02CodebookSize is < 1 or > 1024)
            throw new ArgumentOutOfRangeException(nameof(Vq02CodebookSize), Vq02CodebookSize, "must be 1..1024");
        if (Vq06CodebookSize is < 1 or > 4096)
            throw new ArgumentOutOfRangeException(nameof(Vq06CodebookSize), Vq06CodebookSize, "must be 1..4096");
        if (MaxIterations < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "must be ≥ 0");
        if (MaxFramesPerStream < Math.Max(Vq02CodebookSize, Vq06CodebookSize))
            throw new ArgumentOutOfRangeException(nameof(MaxFramesPerStream), MaxFramesPerStream, "must be at least the larger codebook size");
    }
}

/// <summary>How a <see cref="TinyAudioTokenizer"/> fit went (only on a freshly fitted tokenizer).</summary>
/// <param name="Clips">Training clips.</param>
/// <param name="Vq02Frames">Pooled 16.7 Hz frames seen (before any sampling).</param>
/// <param name="Vq06Frames">Pooled 25 Hz frames seen.</param>
/// <param name="Vq02">The vq02 codebook's k-means fit.</param>
/// <param name="Vq06">The vq06 codebook's k-means fit.</param>
public sealed record TinyAudioTokenizerFit(int Clips, long Vq02Frames, long Vq06Frames, KMeansResult Vq02, KMeansResult Vq06);

/// <summary>
/// The embedded default's audio tokenizer, a stand-in for Step-Audio's real vq02/vq06 tokenizer with the same output
/// layout: log-mel frames pooled to 16.7 Hz (mean of 3 frames → "vq02") and 25 Hz (mean of 2 → "vq06"),
/// standardised per bin with training-set statistics, and vector-quantised with two k-means codebooks fitted on the
/// training clips. One group of 2 vq02 + 3 vq06 codes covers 6 mel frames (0.12 s), exactly as upstream's stream
/// reshapes into 3 flow frames; codes are placed in the mixed stream (vq02 c → c, vq06 c → 1024 + c). It carries
/// no linguistic knowledge — it only gives the tiny models a real, deterministic, audio-dependent token stream.
/// </summary>
public sealed class TinyAudioTokenizer : IAudioTokenizer
{
    /// <summary>The <c>stepaudio.format</c> of its file.</summary>
    public const string FormatName = "stepaudio-tiny-audio-tokenizer";
    /// <summary>The <c>stepaudio.format_version</c> this build writes and reads.</summary>
    public const int FormatVersion = 1;
    /// <summary>Mel frames (50 Hz) per vq02 code.</summary>
    public const int Vq02Pool = 3;
    /// <summary>Mel frames (50 Hz) per vq06 code.</summary>
    public const int Vq06Pool = 2;
    /// <summary>Mel frames per group of 2 vq02 + 3 vq06 codes (0.12 s).</summary>
    public const int MelFramesPerGroup = 6;
    /// <summary>Mixed-stream tokens per group.</summary>
    public const int TokensPerGroup = 5;

    sealed record Stream(int Pool, float[] Mean, float[] Std, float[] Centroids, int Size);

    readonly Stream vq02, vq06;
    readonly byte[] fileBytes;

    TinyAudioTokenizer(int melBins, Stream vq02, Stream vq06, TinyAudioTokenizerOptions options, int seed,
        byte[]? fileBytes, TinyAudioTokenizerFit? fit)
    {
        MelBins = melBins; this.vq02 = vq02; this.vq06 = vq06; Options = options; Seed = seed; Fitted = fit;
        this.fileBytes = fileBytes ?? Serialize();
        Identity = "tiny-vq:" + TinyModelFile.Hash(this.fileBytes);
    }

    /// <inheritdoc />
    public string Identity { get; }
    /// <summary>The options it was fitted with.</summary>
    public TinyAudioTokenizerOptions Options { get; }
    /// <summary>The seed it was fitted with.</summary>
    public int Seed { get; }
    /// <summary>Mel bins it expects (80).</summary>
    public int MelBins { get; }
    /// <summary>vq02 codebook size.</summary>
    public int Vq02CodebookSize => vq02.Size;
    /// <summary>vq06 codebook size.</summary>
    public int Vq06CodebookSize => vq06.Size;
    /// <summary>The fit's statistics when this instance was fitted (null when loaded).</summary>
    public TinyAudioTokenizerFit? Fitted { get; }

    /// <summary>
    /// Fits both codebooks on training log-mels (<c>[bins, T]</c> each, 50 frames/s). Deterministic: the same mels,
    /// in the same order, with the same options and seed give a byte-identical file. The caller keeps ownership of
    /// the tensors (they are read once, one at a time, so a lazy sequence works).
    /// </summary>
    public static TinyAudioTokenizer Fit(IEnumerable<Tensor> mels, TinyAudioTokenizerOptions? options, int seed)
    {
        options ??= TinyAudioTokenizerOptions.Default;
        options.Validate();
        var master = new SeededRandom(unchecked((ulong)(uint)seed * 0x2545F4914F6CDD1DUL + 0x5EED));
        var acc02 = new Accumulator(Vq02Pool, options.MaxFramesPerStream, master.NextUInt64());
        var acc06 = new Accumulator(Vq06Pool, options.MaxFramesPerStream, master.NextUInt64());
        int clips = 0, bins = -1;
        foreach (var t in mels)
        {
            var mel = MelArray.From(t, $"training clip {clips}");
            if (bins < 0) bins = mel.Bins;
            else if (mel.Bins != bins)
                throw new ArgumentException($"training clip {clips} has {mel.Bins} mel bins; the others have {bins}", nameof(mels));
            acc02.Add(mel);
            acc06.Add(mel);
            clips++;
        }
        if (acc02.Seen == 0 || acc06.Seen == 0)
            throw new ArgumentException(
                $"no training audio to fit the tiny audio tokenizer on ({clips} clips, none of at least {Vq02Pool} mel frames)", nameof(mels));
        var (s02, r02) = acc02.Fit(bins, options.Vq02CodebookSize, master.NextUInt64(), options.MaxIterations);
        var (s06, r06) = acc06.Fit(bins, options.Vq06CodebookSize, master.NextUInt64(), options.MaxIterations);
        return new TinyAudioTokenizer(bins, s02, s06, options, seed, null,
            new TinyAudioTokenizerFit(clips, acc02.Seen, acc06.Seen, r02, r06));
    }

    /// <summary>The mixed stream of a clip: <c>5 · floor(T / 6)</c> tokens, groups of 2 vq02 (0..1023) then 3 vq06 (1024..5119).</summary>
    public int[] Tokenize(TokenizerInput input) => Tokenize(input.Mel, input.Source);

    /// <summary><see cref="Tokenize(TokenizerInput)"/> from a log-mel alone; <paramref name="source"/> names it in errors.</summary>
    public int[] Tokenize(Tensor mel, string source)
    {
        var (a, b) = Encode(mel, source);
        return Step1AudioTokens.Interleave(a, b);
    }

    /// <summary>
    /// The raw codes of a clip's whole groups: vq02 codes (<c>2 · floor(T/6)</c>, 0..<see cref="Vq02CodebookSize"/>−1)
    /// and vq06 codes (<c>3 · floor(T/6)</c>, 0..<see cref="Vq06CodebookSize"/>−1). A clip shorter than one group
    /// (0.12 s) is an <see cref="InputException"/> naming <paramref name="source"/>.
    /// </summary>
    public (long[] Vq02, long[] Vq06) Encode(Tensor mel, string source)
    {
        var m = MelArray.From(mel, source);
        if (m.Bins != MelBins)
            throw new ArgumentException($"{source}: the log-mel has {m.Bins} bins; the tiny audio tokenizer was fitted on {MelBins}", nameof(mel));
        int groups = m.Frames / MelFramesPerGroup;
        if (groups == 0)
            throw new InputException(source, null, null,
                $"audio is too short to tokenize: {m.Frames} mel frames ({m.Frames / 50.0:F2} s); the audio tokenizer needs " +
                $"at least 0.12 s ({MelFramesPerGroup} frames at 50 frames/s)",
                "remove the clip from the manifest or use a longer recording");
        return (Quantise(vq02, m, groups * 2), Quantise(vq06, m, groups * 3));
    }

    static long[] Quantise(Stream s, MelArray mel, int count)
    {
        var codes = new long[count];
        var x = new float[mel.Bins];
        for (int f = 0; f < count; f++)
        {
            Pool(mel, f, s.Pool, x);
            Standardise(x, s.Mean, s.Std);
            codes[f] = KMeans.Nearest(x, s.Centroids, s.Size);
        }
        return codes;
    }

    static void Pool(MelArray mel, int frame, int pool, float[] into)
    {
        for (int b = 0; b < mel.Bins; b++)
        {
            float sum = 0;
            for (int j = 0; j < pool; j++) sum += mel[b, frame * pool + j];
            into[b] = sum / pool;
        }
    }

    static void Standardise(float[] x, float[] mean, float[] std)
    {
        for (int b = 0; b < x.Length; b++) x[b] = (x[b] - mean[b]) / std[b];
    }

    /// <summary>Writes the model (safetensors, metadata with format, version, options and fit statistics) atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllBytes(path, fileBytes);

    /// <summary>
    /// Loads a model <see cref="Save"/> wrote. A missing, corrupt or foreign file is an <see cref="InputException"/>
    /// naming it and saying to rerun <c>stepaudio prepare</c>.
    /// </summary>
    public static TinyAudioTokenizer Load(string path)
    {
        var full = Path.GetFullPath(path);
        var (bytes, meta, tensors) = TinyModelFile.Read(full, "tiny audio tokenizer", FormatName, FormatVersion);
        var options = InputException.ReadingJson(full, () =>
            TinyAudioTokenizerOptions.FromJson(meta.GetValueOrDefault(TinyModelFile.Meta + "options") ?? throw new KeyNotFoundException("no stepaudio.options")));
        try { options.Validate(); }
        catch (ArgumentException e) { throw TinyModelFile.Bad(full, "invalid options: " + e.Message); }
        int seed = InputException.ReadingJson(full, () =>
            int.Parse(meta.GetValueOrDefault(TinyModelFile.Meta + "seed") ?? throw new KeyNotFoundException("no stepaudio.seed"), CultureInfo.InvariantCulture));
        if (!tensors.TryGetValue("vq02.mean", out var m)) throw TinyModelFile.Bad(full, "no 'vq02.mean' tensor");
        if (m.Shape.Length != 1 || m.Shape[0] < 1) throw TinyModelFile.Bad(full, "'vq02.mean' is not a vector");
        int bins = (int)m.Shape[0];
        Stream Read(string name, int pool, int size) => new(pool,
            TinyModelFile.Tensor(full, tensors, name + ".mean", bins),
            Positive(TinyModelFile.Tensor(full, tensors, name + ".std", bins), name + ".std"),
            TinyModelFile.Tensor(full, tensors, name + ".codebook", size, bins), size);
        float[] Positive(float[] std, string name) =>
            std.All(v => v > 0) ? std : throw TinyModelFile.Bad(full, $"'{name}' has a value ≤ 0");
        var s02 = Read("vq02", Vq02Pool, options.Vq02CodebookSize);
        var s06 = Read("vq06", Vq06Pool, options.Vq06CodebookSize);
        return new TinyAudioTokenizer(bins, s02, s06, options, seed, bytes, null);
    }

    byte[] Serialize()
    {
        var tensors = new Dictionary<string, (float[], long[])>
        {
            ["vq02.mean"] = (vq02.Mean, new long[] { MelBins }),
            ["vq02.std"] = (vq02.Std, new long[] { MelBins }),
            ["vq02.codebook"] = (vq02.Centroids, new long[] { vq02.Size, MelBins }),
            ["vq06.mean"] = (vq06.Mean, new long[] { MelBins }),
            ["vq06.std"] = (vq06.Std, new long[] { MelBins }),
            ["vq06.codebook"] = (vq06.Centroids, new long[] { vq06.Size, MelBins }),
        };
        var meta = new Dictionary<string, string>
        {
            [TinyModelFile.Meta + "format"] = FormatName,
            [TinyModelFile.Meta + "format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            [TinyModelFile.Meta + "options"] = Options.ToJson(),
            [TinyModelFile.Meta + "seed"] = Seed.ToString(CultureInfo.InvariantCulture),
            [TinyModelFile.Meta + "features"] =
                "24 kHz matcha log-mel (50 frames/s); vq02 = mean of 3 frames (16.7 Hz), vq06 = mean of 2 (25 Hz); " +
                "standardised per bin; mixed stream: 2 vq02 (c) then 3 vq06 (1024 + c) per 6 mel frames",
        };
        if (Fitted is { } f)
            meta[TinyModelFile.Meta + "fit"] = JsonSerializer.Serialize(new
            {
                clips = f.Clips,
                vq02 = new { frames = f.Vq02Frames, iterations = f.Vq02.Iterations, converged = f.Vq02.Converged, initial_distortion = f.Vq02.InitialDistortion, distortion = f.Vq02.Distortion, reseeded = f.Vq02.Reseeded },
                vq06 = new { frames = f.Vq06Frames, iterations = f.Vq06.Iterations, converged = f.Vq06.Converged, initial_distortion = f.Vq06.InitialDistortion, distortion = f.Vq06.Distortion, reseeded = f.Vq06.Reseeded },
            });
        return TinyModelFile.Serialize(tensors, meta);
    }

    /// <summary>Streams pooled frames of one rate: per-bin statistics over all of them, and a seeded reservoir sample.</summary>
    sealed class Accumulator(int pool, int capacity, ulong seed)
    {
        readonly SeededRandom rng = new(seed);
        readonly List<float[]> sample = new();
        double[] sum = Array.Empty<double>(), sumSq = Array.Empty<double>();

        public long Seen { get; private set; }

        public void Add(MelArray mel)
        {
            if (sum.Length == 0)
            {
                sum = new double[mel.Bins];
                sumSq = new double[mel.Bins];
            }
            int frames = mel.Frames / pool;
            for (int f = 0; f < frames; f++)
            {
                var x = new float[mel.Bins];
                Pool(mel, f, pool, x);
                for (int b = 0; b < x.Length; b++)
                {
                    sum[b] += x[b];
                    sumSq[b] += (double)x[b] * x[b];
                }
                Seen++;
                if (sample.Count < capacity) sample.Add(x);
                else
                {
                    // Algorithm R: keep each of the Seen frames with probability capacity / Seen.
                    long j = (long)(rng.NextUInt64() % (ulong)Seen);
                    if (j < capacity) sample[(int)j] = x;
                }
            }
        }

        public (Stream Stream, KMeansResult Fit) Fit(int bins, int k, ulong seed, int maxIterations)
        {
            var mean = new float[bins];
            var std = new float[bins];
            for (int b = 0; b < bins; b++)
            {
                double m = sum[b] / Seen;
                mean[b] = (float)m;
                std[b] = (float)Math.Max(Math.Sqrt(Math.Max(sumSq[b] / Seen - m * m, 0)), 1e-3);
            }
            var data = new float[sample.Count * bins];
            for (int i = 0; i < sample.Count; i++)
            {
                var x = (float[])sample[i].Clone();
                Standardise(x, mean, std);
                x.CopyTo(data, i * bins);
            }
            var fit = KMeans.Fit(data, bins, k, seed, maxIterations);
            return (new Stream(pool, mean, std, fit.Centroids, k), fit);
        }
    }
}
