using StepAudio.Tokenizers.FrontEnds;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers.Paraformer;

/// <summary>The settings of FunASR's streaming front end <c>WavFrontendOnline</c>.</summary>
/// <param name="Fbank">
/// The kaldi fbank options. Upstream passes num_mel_bins, frame_length/shift, dither, <c>energy_floor 0</c>, window and
/// sample_frequency and leaves the rest at torchaudio's defaults (snip_edges is always true there).
/// </param>
/// <param name="LfrM">LFR stacking width (7).</param>
/// <param name="LfrN">LFR stride (6).</param>
/// <param name="InputScale">Samples are scaled by this before the fbank (upstream always uses 1 &lt;&lt; 15).</param>
public sealed record WavFrontendOnlineOptions(KaldiFbankOptions Fbank, int LfrM, int LfrN, double InputScale = 32768)
{
    /// <summary>Width of one output frame, n_mels · lfr_m.</summary>
    public int OutputSize => Fbank.NumMelBins * LfrM;

    /// <summary>
    /// The options of a FunASR <c>frontend_conf</c> (fs, window, n_mels, frame_length, frame_shift, lfr_m, lfr_n) with
    /// dither 0. Upstream's WavFrontendOnline defaults to dither 1.0, which adds random noise to every frame and makes the
    /// vq02 codes differ from run to run; this port is deterministic instead (the parity fixtures use 0 too).
    /// </summary>
    public static WavFrontendOnlineOptions FromFrontendConf(System.Text.Json.JsonElement conf, string source)
    {
        const string s = "frontend_conf";
        var fbank = new KaldiFbankOptions
        {
            SampleFrequency = ConfigValues.Int(conf, source, s, "fs", 16000),
            WindowType = ConfigValues.Text(conf, source, s, "window", "hamming"),
            NumMelBins = ConfigValues.Int(conf, source, s, "n_mels", 80),
            FrameLengthMs = ConfigValues.Double(conf, source, s, "frame_length", 25),
            FrameShiftMs = ConfigValues.Double(conf, source, s, "frame_shift", 10),
            Dither = 0,
            EnergyFloor = 0,
        };
        try { fbank.Validate(); }
        catch (ArgumentException e)
        {
            throw new InputException(source, null, s, e.Message, "use the config.yaml shipped with the model", e);
        }
        var options = new WavFrontendOnlineOptions(fbank, ConfigValues.Int(conf, source, s, "lfr_m", 1),
            ConfigValues.Int(conf, source, s, "lfr_n", 1));
        if (options.LfrM < 1 || options.LfrN < 1 || options is { LfrM: 1, LfrN: 1 })
            throw new InputException(source, null, s + ".lfr_m", $"lfr_m {options.LfrM} / lfr_n {options.LfrN} is not supported",
                "both must be ≥ 1 and not both 1 (upstream's WavFrontendOnline fails without LFR)");
        return options;
    }
}

/// <summary>
/// FunASR's streaming front end <c>WavFrontendOnline.forward</c> (funasr_detach/frontends/wav_frontend.py) for one
/// utterance: each call takes the next piece of the 16 kHz waveform and returns the LFR + CMVN frames that piece
/// completes. Samples that do not fill a fbank frame wait in the input cache; fbank rows that do not fill an LFR window
/// wait in the splice cache. Upstream also keeps the waveform behind the features (<c>reserve_waveforms</c>) for callers
/// that want it; that bookkeeping never changes the features and is not kept here.
/// </summary>
public sealed class WavFrontendOnline : IDisposable
{
    readonly WavFrontendOnlineOptions options;
    readonly Tensor? cmvn;
    float[] inputCache = [];
    Tensor? spliceCache;

    /// <summary>A fresh stream; <paramref name="cmvn"/> ([2, ≥ D], see <see cref="AmMvn"/>) is borrowed, null skips CMVN.</summary>
    public WavFrontendOnline(WavFrontendOnlineOptions options, Tensor? cmvn)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Fbank.Validate();
        if (options.LfrM < 1 || options.LfrN < 1 || options is { LfrM: 1, LfrN: 1 })
            throw new ArgumentException($"WavFrontendOnline: lfr_m {options.LfrM} / lfr_n {options.LfrN}: both must be ≥ 1 and not both 1");
        this.options = options;
        this.cmvn = cmvn;
    }

    /// <summary>
    /// Feeds <paramref name="samples"/>; returns the new frames <c>[T, n_mels · lfr_m]</c>, or null when the piece
    /// completes none. On the final piece the last LFR window is padded with copies of the last fbank row, but only
    /// when the piece adds fbank rows enough to reach one window: otherwise upstream emits nothing, so a streamed
    /// utterance can have fewer frames than <see cref="SpeechFrontEnds.Paraformer"/> gives offline.
    /// </summary>
    public Tensor? Accept(ReadOnlySpan<float> samples, bool isFinal)
    {
        using var scope = NewDisposeScope();
        var fb = options.Fbank;
        int win = fb.WindowSize, shift = fb.WindowShift, m = options.LfrM;
        var input = new float[inputCache.Length + samples.Length];
        inputCache.CopyTo(input, 0);
        samples.CopyTo(input.AsSpan(inputCache.Length));
        int frames = input.Length >= win ? (input.Length - win) / shift + 1 : 0;
        // Upstream keeps input[-(len − frames·shift):]; Python reads a zero there as "everything" (possible only when
        // frame_length == frame_shift), so that case keeps the whole input too.
        int rest = input.Length - frames * shift;
        inputCache = rest == 0 ? input : input[^rest..];
        Tensor? result;
        if (frames > 0)
        {
            var used = tensor(input[..((frames - 1) * shift + win)]);
            var fbank = KaldiFbank.Compute(used * options.InputScale, fb);
            // The first rows are padded on the left with (m − 1) / 2 copies of the first fbank row.
            spliceCache ??= Keep(fbank.narrow(0, 0, 1).expand((m - 1) / 2, -1).contiguous());
            if (frames + spliceCache.shape[0] < m)
            {
                Replace(cat([spliceCache, fbank], 0));
                return null;
            }
            result = LfrCmvn(cat([spliceCache, fbank], 0), isFinal);
        }
        else
        {
            // A final piece with no new fbank row flushes the splice cache. Upstream raises when it holds no row or
            // too few for a window; infer_encoder drops such a final piece when it is under 480 samples, which a piece
            // that completes no fbank frame is with 25 ms frames (400 samples).
            if (!isFinal || spliceCache is null) return null;
            result = LfrCmvn(spliceCache, isFinal);
        }
        return result?.MoveToOuterDisposeScope();
    }

    /// <summary>Upstream <c>apply_lfr</c> (streaming form) then <c>apply_cmvn</c>; updates the splice cache.</summary>
    Tensor? LfrCmvn(Tensor inputs, bool isFinal)
    {
        int m = options.LfrM, n = options.LfrN;
        long t = inputs.shape[0];
        long tLfr = (long)Math.Ceiling((double)(t - (m - 1) / 2) / n);
        long spliceIdx = tLfr;
        var rows = new List<Tensor>();
        for (long i = 0; i < tLfr; i++)
        {
            long start = i * n;
            if (m <= t - start) rows.Add(inputs.narrow(0, start, m).reshape(1, -1));
            else if (isFinal)
            {
                var window = inputs.narrow(0, start, t - start);
                var pad = inputs.narrow(0, t - 1, 1).expand(m - (t - start), -1);
                rows.Add(cat([window, pad], 0).reshape(1, -1));
            }
            else
            {
                spliceIdx = i;
                break;
            }
        }
        // No window at all: upstream's vstack raises before the splice cache is replaced.
        if (rows.Count == 0) return null;
        long from = Math.Min(t - 1, spliceIdx * n);
        Replace(inputs.narrow(0, from, t - from).contiguous());
        var lfr = cat(rows, 0);
        return cmvn is null ? lfr : AmMvn.Apply(lfr, cmvn);
    }

    void Replace(Tensor next)
    {
        var old = spliceCache;
        spliceCache = Keep(next.contiguous());
        old?.Dispose();
    }

    static Tensor Keep(Tensor t) => t.DetachFromDisposeScope();

    /// <summary>Frees the splice cache.</summary>
    public void Dispose()
    {
        spliceCache?.Dispose();
        spliceCache = null;
    }
}
