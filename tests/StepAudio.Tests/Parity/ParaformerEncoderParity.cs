using System.Text.Json;
using System.Text.RegularExpressions;
using StepAudio.Audio;
using StepAudio.Tokenizers.FrontEnds;
using StepAudio.Tokenizers.Paraformer;
using static TorchSharp.torch;

namespace StepAudio.Tests.Parity;

/// <summary>
/// <c>paraformer_encoder</c>: tokenizer.py <c>get_vq02_code</c> — the streaming front end, the streaming SANM encoder
/// (sizes from <c>config.encoder_conf</c>, streaming arguments from <c>config.streaming</c>) and the nearest-centroid
/// codes against the stored <c>kms</c>, for every case <c>X</c> with an <c>X.wav16</c>. The front end's fbank/LFR/CMVN
/// settings come from the fixture <c>config.frontend</c> names (e.g. "as kaldi_fbank 'paraformer' …, cmvn =
/// kaldi_fbank/am.mvn"), or from an io <c>cmvn</c> and a <c>frontend</c> object.
/// </summary>
public sealed class ParaformerEncoderParity : IParityComponent
{
    public string Component => "paraformer_encoder";

    public void Run(ParityFixture f, ParityReport r)
    {
        var source = f.File_("fixture.json");
        var encoderConfig = ParaformerEncoderConfig.FromJson(f.Cfg("encoder_conf"), source);
        var (frontEnd, cmvn) = FrontEnd(f);
        r.Check(frontEnd.OutputSize == encoderConfig.InputSize,
            $"front end gives {frontEnd.OutputSize}-wide frames, encoder_conf.input_size is {encoderConfig.InputSize}");
        var streaming = Streaming(f, r);
        var encoder = new SanmEncoderChunkOpt(encoderConfig);
        ParaformerWeights.Load(encoder, f.WeightsPath);
        using var tokenizer = new Vq02Tokenizer(encoder, frontEnd, cmvn, new LinguisticCodebook(f.In("kms").clone()), streaming);

        var cases = f.IoKeys().Where(k => k.EndsWith(".wav16", StringComparison.Ordinal)).Select(k => k[..^".wav16".Length]).ToList();
        r.Check(cases.Count > 0, "io has no X.wav16 case");
        foreach (var c in cases)
        {
            var wav = Floats(f.In($"{c}.wav16"));
            // Upstream passes the wav through torchaudio.save/load (float WAV, via sox's integer path). Ours is a plain
            // float32 WAV round trip (exact); the stored one may differ by ~3e-8, which its tolerance allows.
            var ours = WavFile.FromBytes(WavFile.Encode(AudioClip.Mono(wav, 16000), WavSampleFormat.Float, 32), "roundtrip.wav", out _).ToMono();
            var roundtripKey = $"{c}.wav16_after_wav_roundtrip";
            r.CompareIfStored(roundtripKey, tensor(ours));
            // The features and codes are checked on what upstream's front end actually read.
            var input = f.Io.ContainsKey(roundtripKey) ? Floats(f.In(roundtripKey)) : wav;

            r.CompareIfStored($"{c}.offline_frontend_feats",
                SpeechFrontEnds.Paraformer(tensor(input), frontEnd.Fbank, frontEnd.LfrM, frontEnd.LfrN, cmvn!, frontEnd.InputScale).unsqueeze(0));
            int chunks = 0;
            var encOut = tokenizer.EncoderOutput(input, chunk =>
            {
                chunks++;
                r.Compare($"{c}.chunk{chunk.Index}.feats", chunk.Feats);
                r.Compare($"{c}.chunk{chunk.Index}.encoder_out", chunk.EncoderOut);
            });
            int stored = f.IoKeys($"{c}.chunk").Count(k => k.EndsWith(".encoder_out", StringComparison.Ordinal));
            r.Check(chunks == stored, $"{c}: {chunks} chunks went through the encoder, the fixture stores {stored}");
            r.Compare($"{c}.enc_out", encOut);
            var codes = tokenizer.Codebook.Encode(encOut[0]);
            r.Compare($"{c}.codes", codes);
            var dist = cdist(encOut[0], tokenizer.Codebook.Centroids).topk(2, largest: false).values;
            r.CompareIfStored($"{c}.dist_margin", dist[.., 1] - dist[.., 0]);
            // The public one-call path on our own round trip gives the stored codes.
            r.Check(tokenizer.Encode(ours).SequenceEqual(Longs(f.In($"{c}.codes"))),
                $"{c}: Vq02Tokenizer.Encode(wav16) differs from the stored codes");
        }
    }

    static Vq02StreamingOptions Streaming(ParityFixture f, ParityReport r)
    {
        var s = f.Cfg("streaming");
        var options = new Vq02StreamingOptions(
            s.GetProperty("chunk_size").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
            s.GetProperty("encoder_chunk_look_back").GetInt32(),
            s.GetProperty("decoder_chunk_look_back").GetInt32(),
            s.GetProperty("is_final").GetBoolean());
        if (s.TryGetProperty("chunk_stride_samples", out var stride))
            r.Check(stride.GetInt32() == options.ChunkStrideSamples,
                $"config.streaming.chunk_stride_samples {stride.GetInt32()} != chunk_size[1] · 960 = {options.ChunkStrideSamples}");
        return options;
    }

    /// <summary>
    /// The front end and CMVN the fixture names. A <c>frontend</c> string "…as FOLDER 'SECTION'…, cmvn = PATH" points to a
    /// sibling fixture's config section (kaldi fbank options + lfr_m/lfr_n/input_scale) and CMVN file; an object is a
    /// FunASR <c>frontend_conf</c>. An io <c>cmvn</c> [2, D] takes precedence over a file.
    /// </summary>
    static (WavFrontendOnlineOptions, Tensor?) FrontEnd(ParityFixture f)
    {
        var spec = f.Cfg("frontend");
        var root = Path.GetDirectoryName(Path.GetFullPath(f.Dir))!;
        Tensor? cmvn = f.Io.TryGetValue("cmvn", out var stored) ? stored.clone() : null;
        if (spec.ValueKind == JsonValueKind.Object)
        {
            var options = WavFrontendOnlineOptions.FromFrontendConf(spec, f.File_("fixture.json"));
            if (cmvn is null && spec.TryGetProperty("cmvn_file", out var file))
                cmvn = AmMvn.Load(Path.Combine(f.Dir, file.GetString()!));
            return (options, cmvn);
        }
        var text = spec.GetString() ?? "";
        var section = Regex.Match(text, @"as\s+([\w.-]+)\s+'([^']+)'");
        if (!section.Success)
            throw new InvalidDataException($"{f.Dir}: config.frontend '{text}' does not name a front-end fixture section (as FOLDER 'SECTION')");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, section.Groups[1].Value, "fixture.json")));
        var cfg = doc.RootElement.GetProperty("config").GetProperty(section.Groups[2].Value);
        var fbank = KaldiFbankOptions.FromJson(cfg);
        if (Regex.IsMatch(text, @"dither\s+0\b")) fbank = fbank with { Dither = 0 };
        var frontEnd = new WavFrontendOnlineOptions(fbank, cfg.GetProperty("lfr_m").GetInt32(), cfg.GetProperty("lfr_n").GetInt32(),
            cfg.TryGetProperty("input_scale", out var scale) ? scale.GetDouble() : 32768);
        if (cmvn is null)
        {
            var mvn = Regex.Match(text, @"cmvn\s*=\s*(\S+)");
            if (!mvn.Success) throw new InvalidDataException($"{f.Dir}: config.frontend '{text}' names no cmvn file and io has no cmvn");
            cmvn = AmMvn.Load(Path.Combine(root, mvn.Groups[1].Value.TrimEnd(',', '.', ';')));
        }
        return (frontEnd, cmvn);
    }

    static float[] Floats(Tensor t) => t.contiguous().data<float>().ToArray();
    static long[] Longs(Tensor t) => t.contiguous().data<long>().ToArray();
}
