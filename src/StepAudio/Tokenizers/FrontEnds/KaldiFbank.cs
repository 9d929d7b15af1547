using static TorchSharp.torch;

namespace StepAudio.Tokenizers.FrontEnds;

/// <summary>
/// torchaudio 0.13 <c>compliance.kaldi.fbank</c> with the options CosyVoice's front end uses
/// (stepvocoder/cosyvoice2/cli/frontend.py <c>extract_spk_embedding</c>: num_mel_bins 80, dither 0) and Kaldi's other
/// defaults: 25 ms povey-windowed frames every 10 ms (snip_edges), DC removal, pre-emphasis 0.97, power spectrum of
/// the frame zero-padded to a power of two, triangular mel bins from 20 Hz to Nyquist, log floored at float eps.
/// </summary>
public static class KaldiFbank
{
    /// <summary>Log-mel filter-bank features <c>[frames, numMelBins]</c> (float32) of mono samples.</summary>
    public static Tensor Compute(float[] samples, int sampleRate = 16000, int numMelBins = 80,
        double frameLengthMs = 25, double frameShiftMs = 10, double preemphasis = 0.97, double lowFreq = 20)
    {
        ArgumentNullException.ThrowIfNull(samples);
        int win = (int)(sampleRate * frameLengthMs / 1000), shift = (int)(sampleRate * frameShiftMs / 1000);
        if (samples.Length < win)
            throw new ArgumentException(
                $"kaldi fbank needs at least one {frameLengthMs} ms frame ({win} samples); got {samples.Length}", nameof(samples));
        int nFft = 1;
        while (nFft < win) nFft <<= 1;                                                // round_to_power_of_two
        using var scope = NewDisposeScope();
        var x = tensor(samples).to_type(ScalarType.Float64);
        var frames = x.unfold(0, win, shift);                                          // snip_edges: whole frames only
        frames = frames - frames.mean(new long[] { 1 }, keepdim: true);               // remove_dc_offset
        var prev = cat(new[] { frames.narrow(1, 0, 1), frames.narrow(1, 0, win - 1) }, 1);
        frames = frames - preemphasis * prev;                                          // x[i] − 0.97·x[i−1], x[−1] = x[0]
        frames = frames * PoveyWindow(win);
        frames = nn.functional.pad(frames, new long[] { 0, nFft - win });
        var power = fft.rfft(frames, dim: 1).abs().pow(2);                            // [m, nFft/2 + 1]
        var energies = power.mm(MelBanks(numMelBins, nFft, sampleRate, lowFreq).t());
        var feats = energies.clamp_min(1.1920928955078125e-07).log();   // torch.finfo(float).eps
        return feats.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>CAM++ input (<c>extract_spk_embedding</c>): fbank minus its time mean, <c>[frames, numMelBins]</c>.</summary>
    public static Tensor CampPlusInput(float[] samples16k, int numMelBins = 80)
    {
        using var scope = NewDisposeScope();
        var feat = Compute(samples16k, 16000, numMelBins);
        return (feat - feat.mean(new long[] { 0 }, keepdim: true)).MoveToOuterDisposeScope();
    }

    /// <summary>Kaldi's povey window: the symmetric Hann window to the power 0.85.</summary>
    static Tensor PoveyWindow(int n)
    {
        var w = new double[n];
        for (int i = 0; i < n; i++) w[i] = Math.Pow(0.5 - 0.5 * Math.Cos(2 * Math.PI * i / (n - 1)), 0.85);
        return tensor(w);
    }

    static double Mel(double f) => 1127.0 * Math.Log(1 + f / 700.0);

    /// <summary>torchaudio <c>get_mel_banks</c> (no VTLN) with the zero Nyquist column appended: <c>[bins, nFft/2 + 1]</c>.</summary>
    static Tensor MelBanks(int bins, int nFft, int sampleRate, double lowFreq)
    {
        double nyquist = sampleRate / 2.0, highFreq = nyquist;                         // high_freq 0 → Nyquist
        double melLow = Mel(lowFreq), melHigh = Mel(highFreq), delta = (melHigh - melLow) / (bins + 1);
        int nBins = nFft / 2;
        double binWidth = (double)sampleRate / nFft;
        var w = new double[bins * (nBins + 1)];
        for (int b = 0; b < bins; b++)
        {
            double left = melLow + b * delta, center = left + delta, right = center + delta;
            for (int k = 0; k < nBins; k++)
            {
                double m = Mel(binWidth * k);
                double up = (m - left) / (center - left), down = (right - m) / (right - center);
                w[b * (nBins + 1) + k] = Math.Max(0, Math.Min(up, down));
            }
        }
        return tensor(w, new long[] { bins, nBins + 1 });
    }
}
