using static TorchSharp.torch;

namespace StepAudio.Tokenizers.FrontEnds;

/// <summary>The two Kaldi-fbank front ends upstream feeds its models.</summary>
public static class SpeechFrontEnds
{
    /// <summary>
    /// The fbank options of CosyVoice's <c>extract_spk_embedding</c>: 80 bins, no dither, otherwise kaldi.fbank's
    /// defaults (povey window, 16 kHz).
    /// </summary>
    public static KaldiFbankOptions CamPlusPlusOptions { get; } = new() { NumMelBins = 80, Dither = 0 };

    /// <summary>
    /// CAM++ speaker-embedding input (CosyVoice <c>extract_spk_embedding</c>): fbank of the unscaled 16 kHz waveform
    /// minus its time-mean, <c>[N] → [1, T, num_mel_bins]</c>.
    /// </summary>
    public static Tensor CamPlusPlus(Tensor waveform, KaldiFbankOptions options)
    {
        using var scope = NewDisposeScope();
        var feat = KaldiFbank.Compute(waveform, options);
        return (feat - feat.mean(new long[] { 0 }, keepdim: true)).unsqueeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Paraformer (vq02) input (FunASR <c>WavFrontend.forward</c>): fbank of waveform · <paramref name="inputScale"/>
    /// (32768: Kaldi expects 16-bit sample values), then LFR (m, n), then CMVN: <c>[N] → [ceil(T / n), m · bins]</c>.
    /// </summary>
    public static Tensor Paraformer(Tensor waveform, KaldiFbankOptions options, int lfrM, int lfrN, Tensor cmvn,
        double inputScale = 32768)
    {
        using var scope = NewDisposeScope();
        var fbank = KaldiFbank.Compute(waveform * inputScale, options);
        return AmMvn.Apply(Lfr.Apply(fbank, lfrM, lfrN), cmvn).MoveToOuterDisposeScope();
    }
}
