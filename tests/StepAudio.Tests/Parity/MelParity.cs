using StepAudio.Audio;

namespace StepAudio.Tests.Parity;

/// <summary>
/// <c>mel</c>: upstream matcha <c>mel_spectrogram</c> (stepvocoder/cosyvoice2/matcha/audio.py) built from the
/// fixture config; compares the basis computed in C#, the padded signal, the magnitude, the log-mel and the
/// frontend's transposed <c>speech_feat</c>.
/// </summary>
public sealed class MelParity : IParityComponent
{
    public string Component => "mel";

    public void Run(ParityFixture f, ParityReport r)
    {
        var p = new MelParams(
            NFft: f.Cfg("n_fft").GetInt32(),
            NumMels: f.Cfg("num_mels").GetInt32(),
            SamplingRate: f.Cfg("sampling_rate").GetInt32(),
            HopSize: f.Cfg("hop_size").GetInt32(),
            WinSize: f.Cfg("win_size").GetInt32(),
            Fmin: f.Cfg("fmin").GetDouble(),
            Fmax: f.Cfg("fmax").GetDouble(),
            Center: f.Cfg("center").GetBoolean());
        using var mel = new MelSpectrogram(p);
        r.Compare("mel_basis", mel.MelBasis);
        if (f.Weights.ContainsKey("hann_window")) r.Compare("hann_window", mel.Window);
        var wav = f.In("wav");
        r.CompareIfStored("wav_padded", mel.PadReflect(wav));
        var magnitude = mel.Magnitude(wav);
        r.CompareIfStored("magnitude", magnitude);
        var logMel = mel.FromMagnitude(magnitude);
        r.Compare("mel", logMel);
        r.CompareIfStored("speech_feat", logMel.transpose(1, 2));
        // The one-call path and the float[] convenience give the same features.
        var direct = mel.Compute(wav);
        r.Check(direct.allclose(logMel, 0, 0), "Compute(wav) differs from FromMagnitude(Magnitude(wav))");
        var first = mel.Compute(wav[0].data<float>().ToArray());
        r.Check(first.allclose(logMel[0], 1e-6, 1e-6), "Compute(float[]) differs from the batched row 0");
    }
}
