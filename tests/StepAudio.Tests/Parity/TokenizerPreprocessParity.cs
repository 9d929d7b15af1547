using System.Globalization;
using System.Text.RegularExpressions;
using StepAudio.Audio;
using StepAudio.Flow;
using StepAudio.Llm;
using StepAudio.Tokenizers.FrontEnds;
using static TorchSharp.torch;

namespace StepAudio.Tests.Parity;

/// <summary>
/// <c>tokenizer_preprocess</c>: tts.py <c>preprocess_prompt_wav</c>, tokenizer.py <c>preprocess_wav</c> (resample,
/// energy norm, trim_silence with librosa's intermediates) for every <c>*wav24</c> case, the CAM++ input, the vq02/vq06
/// interleave and its string ids, cosyvoice.py <c>_reshape</c> and the prompt-mel nearest alignment. Every option
/// comes from the fixture config; the formula strings are parsed and a format this runner does not know fails loudly.
/// </summary>
public sealed class TokenizerPreprocessParity : IParityComponent
{
    public string Component => "tokenizer_preprocess";

    public void Run(ParityFixture f, ParityReport r)
    {
        int orig = f.Cfg("resample.orig_freq").GetInt32(), @new = f.Cfg("resample.new_freq").GetInt32();
        using var resampler = new Resampler(orig, @new, f.Cfg("resample.lowpass_filter_width").GetInt32(),
            f.Cfg("resample.rolloff").GetDouble());
        var gcd = f.Cfg("resample.gcd_reduced").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        r.Check(gcd.SequenceEqual(new[] { resampler.Orig, resampler.New }), $"gcd_reduced {string.Join(",", gcd)} != {resampler.Orig},{resampler.New}");
        r.Check(f.Cfg("resample.width").GetInt32() == resampler.Width, $"width {resampler.Width} != config");
        r.Compare("resample_kernel_transform", resampler.KernelTensor!);
        r.Compare("resample_kernel_functional", resampler.KernelTensor!);

        var norm = Match(f.Cfg("energy_norm").GetString(), @"max\(max\|wav\|,\s*([0-9.eE+-]+)\)\s*\*\s*([0-9.eE+-]+)", "energy_norm");
        float floor = float.Parse(norm[1], CultureInfo.InvariantCulture), scale = float.Parse(norm[2], CultureInfo.InvariantCulture);
        var t = f.Cfg("trim_silence");
        var trimOptions = new TrimSilenceOptions(t.GetProperty("top_db").GetDouble(), t.GetProperty("frame_length").GetInt32(),
            t.GetProperty("hop_length").GetInt32(), t.GetProperty("keep_left_time").GetDouble(),
            t.GetProperty("keep_right_time").GetDouble(), t.GetProperty("hop_size").GetInt32(), t.GetProperty("sr").GetInt32());

        foreach (var key in f.IoKeys().Where(k => k.EndsWith("wav24", StringComparison.Ordinal)))
        {
            var p = key[..^"wav24".Length];
            var prompt = PromptAudio.Preprocess(AudioClip.Mono(Floats(f.In(key)), orig)).ToMono();
            r.CompareIfStored($"{p}prompt_wav", Row(prompt));
            var wav16 = resampler.Apply(prompt);
            r.Compare($"{p}wav16_resampled", Row(wav16));
            var normed = TokenizerPreprocess.EnergyNorm(wav16, floor, scale);
            r.Compare($"{p}wav16_energy_norm", Row(normed));
            var trimmed = TokenizerPreprocess.TrimSilence(normed, trimOptions, out var trim);
            r.Compare($"{p}trim.rms", tensor(trim.Rms));
            r.Compare($"{p}trim.db", tensor(trim.Db));
            r.Compare($"{p}trim.non_silent", tensor(trim.NonSilent));
            r.Compare($"{p}trim.index", tensor(new[] { trim.Start, trim.End }));
            r.Compare($"{p}wav16_trimmed", Row(trimmed));
            // The one-call path gives the same samples.
            var direct = TokenizerPreprocess.Preprocess(prompt, orig, resampler: resampler, trimOptions: trimOptions,
                energyNormFloor: floor, energyNormScale: scale);
            r.Check(trimmed.SequenceEqual(direct), $"{p}: Preprocess differs from its steps");
        }

        var spkWav = resampler.Apply(PromptAudio.Preprocess(AudioClip.Mono(Floats(f.In("wav24")), orig)).ToMono());
        r.Compare("spk.wav16", Row(spkWav));
        using (var spkTensor = tensor(spkWav))
            r.Compare("spk.feat", SpeechFrontEnds.CamPlusPlus(spkTensor, SpeechFrontEnds.CamPlusPlusOptions));

        var il = f.Cfg("interleave");
        var group = Match(il.GetProperty("group").GetString(), @"vq02 x(\d+),\s*vq06 x(\d+)", "interleave.group");
        int vq02Off = il.GetProperty("vq02_offset").GetInt32(), vq06Off = il.GetProperty("vq06_offset").GetInt32();
        var mixedByCase = new Dictionary<string, long[]>();
        foreach (var key in f.IoKeys("interleave.").Where(k => k.EndsWith(".mixed_ids", StringComparison.Ordinal)))
        {
            var name = key["interleave.".Length..^".mixed_ids".Length];
            var n = Vq0206Tokens.TokenNumbers(Longs(f.In($"interleave.{name}.vq02")), Longs(f.In($"interleave.{name}.vq06")),
                int.Parse(group[1], CultureInfo.InvariantCulture), int.Parse(group[2], CultureInfo.InvariantCulture), vq02Off, vq06Off);
            var mixed = Vq0206Tokens.MixedIds(n, vq02Off);
            mixedByCase[name] = mixed;
            r.Compare(key, tensor(mixed));
            r.Compare($"interleave.{name}.token_str_ids", tensor(n.Select(x => (long)x).ToArray()));
            if (f.Json.TryGetProperty("token_str", out var ts) && ts.TryGetProperty(name, out var s))
                r.Check(Step1AudioTokens.ToText(n) == s.GetString(), $"token_str.{name} differs");
        }

        var rs = f.Cfg("reshape");
        long pad = rs.GetProperty("vq02_pad").GetInt64();
        long shift = long.Parse(Match(rs.GetProperty("vq06_shift").GetString(), @"^\s*([+-]?\d+)", "reshape.vq06_shift")[1],
            CultureInfo.InvariantCulture);
        var tail = Match(rs.GetProperty("tail_pad").GetString(), @"^\[([^\]]*)\]", "reshape.tail_pad")[1]
            .Split(',').Select(x => long.Parse(x.Trim(), CultureInfo.InvariantCulture)).ToArray();
        foreach (var key in f.IoKeys("reshape.").Where(k => k.EndsWith(".mixed", StringComparison.Ordinal)))
        {
            var stem = key[..^".mixed".Length];
            var mixed = Longs(f.In(key)).Select(x => (int)x).ToArray();
            if (mixedByCase.TryGetValue("A", out var a))
                r.Check(mixed.SequenceEqual(a.Take(mixed.Length).Select(x => (int)(x - vq02Off))), $"{key} is not interleave.A − offset");
            r.Compare($"{stem}.dual", tensor(DualCodebookTokens.Reshape(mixed, pad, shift, tail)));
        }

        // token2wav_nonstream aligns the prompt mel to 2 frames per dual frame of the prompt tokens (interleave.A).
        int size = 2 * DualCodebookTokens.Reshape(mixedByCase["A"].Select(x => (int)(x - vq02Off)).ToArray(), pad, shift, tail)
            .GetLength(0);
        foreach (var key in f.IoKeys("prompt_feat_align.").Where(k => k.EndsWith(".prompt_feat", StringComparison.Ordinal)))
            r.Compare($"{key[..^".prompt_feat".Length]}.aligned", PromptFeatAlign.Nearest(f.In(key), size));
    }

    static string[] Match(string? text, string pattern, string what)
    {
        var m = Regex.Match(text ?? "", pattern);
        if (!m.Success) throw new InvalidDataException($"config.{what} '{text}' is not in a format this runner knows");
        return m.Groups.Cast<Group>().Select(g => g.Value).ToArray();
    }

    static Tensor Row(float[] x) => tensor(x).unsqueeze(0);
    static float[] Floats(Tensor t) => t.contiguous().data<float>().ToArray();
    static long[] Longs(Tensor t) => t.contiguous().data<long>().ToArray();
}
