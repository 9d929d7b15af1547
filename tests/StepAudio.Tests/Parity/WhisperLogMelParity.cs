using StepAudio.Tokenizers.FrontEnds;
using static TorchSharp.torch;

namespace StepAudio.Tests.Parity;

/// <summary>
/// <c>whisper_logmel</c>: whisper <c>log_mel_spectrogram</c> with the stored <c>mel_filters*</c> (whose computed Slaney
/// counterpart is compared too); <c>power{i}</c>, <c>log10_mel{i}</c>, <c>feat{i}</c> <c>[1, n_mels, T]</c> and
/// <c>feat_len{i}</c> (int32) for every stored <c>wav{i}</c>.
/// </summary>
public sealed class WhisperLogMelParity : IParityComponent
{
    public string Component => "whisper_logmel";

    public void Run(ParityFixture f, ParityReport r)
    {
        int nFft = f.Cfg("n_fft").GetInt32();
        var window = f.Cfg("window").GetString();
        r.Check(window == $"periodic hann({nFft})", $"config.window '{window}': only a periodic Hann window of n_fft samples is implemented");
        var options = new WhisperLogMelOptions
        {
            SampleRate = f.Cfg("sample_rate").GetInt32(),
            NFft = nFft,
            HopLength = f.Cfg("hop_length").GetInt32(),
            NMels = f.Cfg("n_mels").GetInt32(),
            Center = f.Cfg("center").GetBoolean(),
            PadMode = f.Cfg("pad_mode").GetString()!,
            Padding = f.Cfg("padding").GetInt32(),
        };
        var filtersKey = f.Weights.Keys.SingleOrDefault(k => k.StartsWith("mel_filters", StringComparison.Ordinal));
        r.Check(filtersKey != null, "weights has no mel_filters* tensor");
        using var computed = new WhisperLogMel(options);
        using var mel = new WhisperLogMel(options, filtersKey is null ? null : f.Weights[filtersKey]);
        if (filtersKey != null) r.Compare(filtersKey, computed.Filters);
        foreach (var key in f.Weights.Keys.Where(k => k.StartsWith("hann_window", StringComparison.Ordinal)))
            r.Compare(key, mel.Window);

        for (int i = 0; f.Io.ContainsKey($"wav{i}"); i++)
        {
            var wav = f.In($"wav{i}");
            var power = mel.Power(wav);
            r.CompareIfStored($"power{i}", power);
            var log10Mel = mel.Log10Mel(power);
            r.CompareIfStored($"log10_mel{i}", log10Mel);
            var feat = WhisperLogMel.Normalize(log10Mel).unsqueeze(0);
            r.Compare($"feat{i}", feat);
            r.Check(mel.Compute(wav).unsqueeze(0).allclose(feat, 0, 0), $"feat{i}: Compute differs from the stepwise path");
            if (f.Io.TryGetValue($"feat_len{i}", out var storedLen))
            {
                var len = tensor(new[] { (int)feat.shape[2] }, ScalarType.Int32);
                r.Check(storedLen.dtype == ScalarType.Int32, $"feat_len{i}: stored as {storedLen.dtype}, the ONNX input is int32");
                r.Compare($"feat_len{i}", len);
            }
        }
    }
}
