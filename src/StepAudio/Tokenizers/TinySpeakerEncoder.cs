using System.Globalization;
using System.Text.Json;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers;

/// <summary>How <see cref="TinySpeakerEncoder"/> summarises a clip.</summary>
public sealed record TinySpeakerEncoderOptions
{
    /// <summary>Share of a clip's frames (the loudest, by mean log-mel) whose per-bin mean and spread are pooled.</summary>
    public double ActiveFraction { get; init; } = 0.7;

    /// <summary>The defaults.</summary>
    public static TinySpeakerEncoderOptions Default { get; } = new();

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Canonical JSON (stored in the model file's metadata).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses <see cref="ToJson"/> output.</summary>
    public static TinySpeakerEncoderOptions FromJson(string json) =>
        JsonSerializer.Deserialize<TinySpeakerEncoderOptions>(json, Json) ?? throw new JsonException("null options");

    internal void Validate()
    {
        if (!(ActiveFraction > 0 && ActiveFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(ActiveFraction), ActiveFraction, "must be in (0, 1]");
    }
}

/// <summary>
/// The embedded default's speaker encoder, a stand-in for CAM++ with its width (192 for 80 mel bins): pooled
/// log-mel statistics of a clip — per-bin mean and standard deviation over its loudest frames (80 + 80), and the mean
/// absolute first and second time differences in 16 frequency bands (16 + 16) — standardised per dimension with
/// statistics fitted on the training clips. It captures timbre and level, not identity the way CAM++ does.
/// </summary>
public sealed class TinySpeakerEncoder : ISpeakerEncoder
{
    /// <summary>The <c>stepaudio.format</c> of its file.</summary>
    public const string FormatName = "stepaudio-tiny-speaker-encoder";
    /// <summary>The <c>stepaudio.format_version</c> this build writes and reads.</summary>
    public const int FormatVersion = 1;
    /// <summary>Frequency bands of the delta statistics.</summary>
    public const int Bands = 16;

    readonly float[] mean, std;
    readonly byte[] fileBytes;

    TinySpeakerEncoder(int melBins, float[] mean, float[] std, TinySpeakerEncoderOptions options, int clips, byte[]? fileBytes)
    {
        MelBins = melBins; this.mean = mean; this.std = std; Options = options; TrainingClips = clips;
        this.fileBytes = fileBytes ?? Serialize();
        Identity = "tiny-spk:" + TinyModelFile.Hash(this.fileBytes);
    }

    /// <inheritdoc />
    public string Identity { get; }
    /// <inheritdoc />
    public int Dimension => DimensionFor(MelBins);
    /// <summary>Mel bins it expects (80).</summary>
    public int MelBins { get; }
    /// <summary>The options it was fitted with.</summary>
    public TinySpeakerEncoderOptions Options { get; }
    /// <summary>Clips its statistics were fitted on.</summary>
    public int TrainingClips { get; }

    /// <summary>Embedding width for <paramref name="melBins"/> bins: 2 · bins + 2 · 16 (192 for 80).</summary>
    public static int DimensionFor(int melBins) => 2 * melBins + 2 * Bands;

    /// <summary>
    /// Fits the standardisation on training log-mels (<c>[bins, T]</c>). Deterministic; the caller keeps ownership of
    /// the tensors, which are read once, one at a time.
    /// </summary>
    public static TinySpeakerEncoder Fit(IEnumerable<Tensor> mels, TinySpeakerEncoderOptions? options = null)
    {
        options ??= TinySpeakerEncoderOptions.Default;
        options.Validate();
        double[]? sum = null, sumSq = null;
        int clips = 0, bins = -1;
        foreach (var t in mels)
        {
            var mel = MelArray.From(t, $"training clip {clips}");
            if (bins < 0)
            {
                bins = mel.Bins;
                sum = new double[DimensionFor(bins)];
                sumSq = new double[sum.Length];
            }
            else if (mel.Bins != bins)
                throw new ArgumentException($"training clip {clips} has {mel.Bins} mel bins; the others have {bins}", nameof(mels));
            var raw = RawFeatures(mel, options);
            for (int i = 0; i < raw.Length; i++)
            {
                sum![i] += raw[i];
                sumSq![i] += (double)raw[i] * raw[i];
            }
            clips++;
        }
        if (clips == 0 || sum is null || sumSq is null)
            throw new ArgumentException("no training audio to fit the tiny speaker encoder on", nameof(mels));
        var mean = new float[sum.Length];
        var std = new float[sum.Length];
        for (int i = 0; i < sum.Length; i++)
        {
            double m = sum[i] / clips;
            mean[i] = (float)m;
            std[i] = (float)Math.Max(Math.Sqrt(Math.Max(sumSq[i] / clips - m * m, 0)), 1e-3);
        }
        return new TinySpeakerEncoder(bins, mean, std, options, clips, null);
    }

    /// <summary>The standardised 192-d embedding of a clip.</summary>
    public float[] Embed(TokenizerInput input) => Embed(input.Mel, input.Source);

    /// <summary><see cref="Embed(TokenizerInput)"/> from a log-mel alone; <paramref name="source"/> names it in errors.</summary>
    public float[] Embed(Tensor mel, string source)
    {
        var m = MelArray.From(mel, source);
        if (m.Bins != MelBins)
            throw new ArgumentException($"{source}: the log-mel has {m.Bins} bins; the tiny speaker encoder was fitted on {MelBins}", nameof(mel));
        if (m.Frames == 0)
            throw new InputException(source, null, null, "audio is too short for a speaker embedding: no mel frames",
                "remove the clip from the manifest or use a longer recording");
        var x = RawFeatures(m, Options);
        for (int i = 0; i < x.Length; i++) x[i] = (x[i] - mean[i]) / std[i];
        return x;
    }

    /// <summary>The unstandardised statistics: per-bin mean and std of the loudest frames, band mean |Δ| and |ΔΔ|.</summary>
    static float[] RawFeatures(MelArray mel, TinySpeakerEncoderOptions options)
    {
        int bins = mel.Bins, frames = mel.Frames;
        var result = new float[DimensionFor(bins)];
        if (frames == 0) return result;
        var energy = new double[frames];
        for (int t = 0; t < frames; t++)
        {
            double e = 0;
            for (int b = 0; b < bins; b++) e += mel[b, t];
            energy[t] = e / bins;
        }
        int active = Math.Clamp((int)Math.Ceiling(options.ActiveFraction * frames), 1, frames);
        var chosen = Enumerable.Range(0, frames).OrderByDescending(t => energy[t]).ThenBy(t => t).Take(active).ToArray();
        for (int b = 0; b < bins; b++)
        {
            double s = 0, s2 = 0;
            foreach (var t in chosen)
            {
                double v = mel[b, t];
                s += v;
                s2 += v * v;
            }
            double m = s / active;
            result[b] = (float)m;
            result[bins + b] = (float)Math.Sqrt(Math.Max(s2 / active - m * m, 0));
        }
        for (int band = 0; band < Bands; band++)
        {
            int lo = band * bins / Bands, hi = Math.Max(lo + 1, (band + 1) * bins / Bands);
            double d1 = 0, d2 = 0;
            int n1 = 0, n2 = 0;
            for (int b = lo; b < Math.Min(hi, bins); b++)
            {
                for (int t = 0; t + 1 < frames; t++, n1++) d1 += Math.Abs(mel[b, t + 1] - mel[b, t]);
                for (int t = 0; t + 2 < frames; t++, n2++) d2 += Math.Abs(mel[b, t + 2] - 2 * mel[b, t + 1] + mel[b, t]);
            }
            result[2 * bins + band] = n1 == 0 ? 0 : (float)(d1 / n1);
            result[2 * bins + Bands + band] = n2 == 0 ? 0 : (float)(d2 / n2);
        }
        return result;
    }

    /// <summary>Writes the model (safetensors with format, version and options metadata) atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllBytes(path, fileBytes);

    /// <summary>
    /// Loads a model <see cref="Save"/> wrote. A missing, corrupt or foreign file is an <see cref="InputException"/>
    /// naming it and saying to rerun <c>stepaudio prepare</c>.
    /// </summary>
    public static TinySpeakerEncoder Load(string path)
    {
        var full = Path.GetFullPath(path);
        var (bytes, meta, tensors) = TinyModelFile.Read(full, "tiny speaker encoder", FormatName, FormatVersion);
        var options = InputException.ReadingJson(full, () =>
            TinySpeakerEncoderOptions.FromJson(meta.GetValueOrDefault(TinyModelFile.Meta + "options") ?? throw new KeyNotFoundException("no stepaudio.options")));
        try { options.Validate(); }
        catch (ArgumentException e) { throw TinyModelFile.Bad(full, "invalid options: " + e.Message); }
        int bins = InputException.ReadingJson(full, () =>
            int.Parse(meta.GetValueOrDefault(TinyModelFile.Meta + "mel_bins") ?? throw new KeyNotFoundException("no stepaudio.mel_bins"), CultureInfo.InvariantCulture));
        int clips = InputException.ReadingJson(full, () =>
            int.Parse(meta.GetValueOrDefault(TinyModelFile.Meta + "clips") ?? throw new KeyNotFoundException("no stepaudio.clips"), CultureInfo.InvariantCulture));
        if (bins < 1) throw TinyModelFile.Bad(full, $"stepaudio.mel_bins is {bins}");
        var mean = TinyModelFile.Tensor(full, tensors, "mean", DimensionFor(bins));
        var std = TinyModelFile.Tensor(full, tensors, "std", DimensionFor(bins));
        if (std.Any(v => v <= 0)) throw TinyModelFile.Bad(full, "'std' has a value ≤ 0");
        return new TinySpeakerEncoder(bins, mean, std, options, clips, bytes);
    }

    byte[] Serialize()
    {
        var tensors = new Dictionary<string, (float[], long[])>
        {
            ["mean"] = (mean, new long[] { mean.Length }),
            ["std"] = (std, new long[] { std.Length }),
        };
        var meta = new Dictionary<string, string>
        {
            [TinyModelFile.Meta + "format"] = FormatName,
            [TinyModelFile.Meta + "format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            [TinyModelFile.Meta + "options"] = Options.ToJson(),
            [TinyModelFile.Meta + "mel_bins"] = MelBins.ToString(CultureInfo.InvariantCulture),
            [TinyModelFile.Meta + "clips"] = TrainingClips.ToString(CultureInfo.InvariantCulture),
            [TinyModelFile.Meta + "features"] =
                "per-bin mean and std of the loudest frames of the 24 kHz matcha log-mel, mean |delta| and |delta2| in " +
                $"{Bands} bands; standardised per dimension with training-set statistics",
        };
        return TinyModelFile.Serialize(tensors, meta);
    }
}
