using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Vocoder;

/// <summary>
/// The 24 kHz NSF sine generator (hifigan/generator.py <c>SineGen2</c>, <c>flag_for_pulse=False</c>): harmonics
/// <c>f0·(1..H+1)</c>, whose phase is integrated at the mel-frame rate (linear interpolation down by the
/// upsample scale, cumsum, linear interpolation back up) so that it stays smooth; unvoiced samples get noise only.
/// </summary>
public sealed class SineGen2 : nn.Module
{
    readonly int samplingRate, harmonicNum, upsampleScale;
    readonly double sineAmp, noiseStd, voicedThreshold;

    /// <summary>Upstream's <c>SineGen2(samp_rate, upsample_scale, harmonic_num, sine_amp, noise_std, voiced_threshold)</c>.</summary>
    public SineGen2(int samplingRate, int upsampleScale, int harmonicNum, double sineAmp, double noiseStd,
        double voicedThreshold) : base(nameof(SineGen2))
    {
        this.samplingRate = samplingRate; this.upsampleScale = upsampleScale; this.harmonicNum = harmonicNum;
        this.sineAmp = sineAmp; this.noiseStd = noiseStd; this.voicedThreshold = voicedThreshold;
    }

    /// <summary>Number of sines: F0 plus its harmonics.</summary>
    public int Dim => harmonicNum + 1;

    /// <summary>
    /// <c>f0 [B, L, 1]</c> (Hz, per output sample) → (sine waves <c>[B, L, H+1]</c>, uv <c>[B, L, 1]</c>).
    /// <paramref name="randIni"/> <c>[B, H+1]</c> and <paramref name="noise"/> <c>[B, L, H+1]</c> are the draws.
    /// </summary>
    public (Tensor Sines, Tensor Uv) forward(Tensor f0, Tensor randIni, Tensor noise)
    {
        using var scope = NewDisposeScope();
        var harmonics = arange(1, harmonicNum + 2, dtype: f0.dtype, device: f0.device);
        var fn = f0 * harmonics;                                        // [B, L, H+1]
        var sines = F02Sine(fn, randIni) * sineAmp;
        var uv = (f0 > voicedThreshold).to_type(f0.dtype);              // [B, L, 1]
        // noise std: sigma where voiced, sine_amp/3 where unvoiced (upstream evaluates (1-uv)*amp/3 left to right)
        var noiseAmp = uv * noiseStd + (1 - uv) * sineAmp / 3;
        var waves = sines * uv + noiseAmp * noise;
        return (waves.MoveToOuterDisposeScope(), uv.MoveToOuterDisposeScope());
    }

    Tensor F02Sine(Tensor fn, Tensor randIni)
    {
        // the integer part of f/sr is a whole turn and cannot change the phase
        var rad = (fn / samplingRate).remainder(1);
        var ini = randIni.to(rad.dtype, rad.device).clone();
        ini.select(1, 0).zero_();                                       // no phase offset for the fundamental
        rad.select(1, 0).add_(ini);                                     // added at the first sample, as upstream
        rad = nn.functional.interpolate(rad.transpose(1, 2), scale_factor: [1.0 / upsampleScale],
            mode: InterpolationMode.Linear, align_corners: false).transpose(1, 2);            // [B, T, H+1]
        var phase = rad.cumsum(1) * 2 * Math.PI;
        phase = nn.functional.interpolate(phase.transpose(1, 2) * upsampleScale, scale_factor: [(double)upsampleScale],
            mode: InterpolationMode.Linear, align_corners: false).transpose(1, 2);            // [B, L, H+1]
        return phase.sin();
    }
}
