using System.Text.Json;
using StepAudio.Tokenizers.FrontEnds;
using static TorchSharp.torch;

namespace StepAudio.Tests.Parity;

/// <summary>
/// <c>kaldi_fbank</c>: each object under <c>config</c> is one front end, its fbank options under torchaudio's names.
/// A section with <c>lfr_m</c> is the Paraformer front end (scale, fbank, LFR, CMVN from <c>cmvn_file</c>); one without
/// is CAM++ (fbank minus the time-mean). Outputs are <c>{section}.fbank{i}</c>, <c>.lfr{i}</c>, <c>.feat{i}</c> for
/// every stored <c>wav{i}</c>; the stored mel banks and windows are checked against the computed ones.
/// </summary>
public sealed class KaldiFbankParity : IParityComponent
{
    public string Component => "kaldi_fbank";

    public void Run(ParityFixture f, ParityReport r)
    {
        var sections = f.Config.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object).ToList();
        r.Check(sections.Count > 0, "config has no front-end section");
        var wavs = Enumerable.Range(0, int.MaxValue).TakeWhile(i => f.Io.ContainsKey($"wav{i}")).ToList();
        r.Check(wavs.Count > 0, "io has no wav0");
        foreach (var section in sections)
        {
            var cfg = section.Value;
            var options = KaldiFbankOptions.FromJson(cfg);
            if (f.Weights.ContainsKey("kaldi_mel_banks")) r.Compare("kaldi_mel_banks", KaldiFbank.MelBanks(options));
            var windowKey = options.WindowType + "_window";
            if (f.Weights.ContainsKey(windowKey)) r.Compare(windowKey, KaldiFbank.Window(options.WindowType, options.WindowSize));
            double scale = cfg.TryGetProperty("input_scale", out var s) ? s.GetDouble() : 1.0;
            bool paraformer = cfg.TryGetProperty("lfr_m", out _);
            Tensor? cmvn = null;
            if (paraformer)
            {
                // "am.mvn (560 = 80 x 7)": the file name is the first word.
                var file = cfg.GetProperty("cmvn_file").GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                cmvn = AmMvn.Load(f.File_(file));
                r.CompareIfStored("cmvn", cmvn);
            }
            foreach (int i in wavs)
            {
                var wav = f.In($"wav{i}");
                var scaled = scale == 1.0 ? wav : wav * scale;
                string key = $"{section.Name}.";
                var fbank = KaldiFbank.Compute(scaled, options);
                r.CompareIfStored($"{key}fbank{i}", fbank);
                if (!paraformer)
                {
                    var feat = SpeechFrontEnds.CamPlusPlus(scaled, options);
                    r.Compare($"{key}feat{i}", feat);
                    continue;
                }
                int m = cfg.GetProperty("lfr_m").GetInt32(), n = cfg.GetProperty("lfr_n").GetInt32();
                var lfr = Lfr.Apply(fbank, m, n);
                r.CompareIfStored($"{key}lfr{i}", lfr);
                var stepwise = AmMvn.Apply(lfr, cmvn!);
                r.Compare($"{key}feat{i}", stepwise);
                var oneCall = SpeechFrontEnds.Paraformer(wav, options, m, n, cmvn!, scale);
                r.Check(oneCall.allclose(stepwise, 0, 0), $"{key}feat{i}: SpeechFrontEnds.Paraformer differs from the stepwise path");
            }
        }
    }
}
