using StepAudio.Audio;
using static TorchSharp.torch;

namespace StepAudio.Tests.Audio;

public class MelSpectrogramTests
{
    [Fact]
    public void Frame_count_follows_the_padding_rule()
    {
        using var scope = NewDisposeScope();
        using var mel = new MelSpectrogram();
        Assert.Equal(721, mel.MinSamples);     // reflect padding of 720 needs more input than that
        foreach (int n in new[] { 721, 959, 960, 1439, 1440, 24000, 24001 })
        {
            var m = mel.Compute(new float[n]);
            Assert.Equal(new long[] { 80, mel.Params.Frames(n) }, m.shape);
            Assert.Equal(n / 480, m.shape[1]);   // center=false with (n_fft − hop)/2 padding: one frame per hop
        }
        // Silence sits at the clamp floor: log(1e-5) (the 1e-9 inside the sqrt is far below it).
        Assert.Equal(Math.Log(1e-5), mel.Compute(new float[2400]).max().item<float>(), 5);
    }

    [Fact]
    public void Bad_input_and_parameters_are_rejected()
    {
        using var scope = NewDisposeScope();
        using var mel = new MelSpectrogram();
        Assert.Contains("too short", Assert.ThrowsAny<ArgumentException>(() => mel.Compute(new float[720])).Message);
        Assert.ThrowsAny<ArgumentException>(() => mel.Compute(zeros(2400)));
        Assert.ThrowsAny<ArgumentException>(() => mel.Compute(zeros(new long[] { 1, 2400 }, ScalarType.Float64)));
        Assert.Throws<ArgumentException>(() => new MelSpectrogram(new MelParams(Fmax: 13000)));
        Assert.Throws<ArgumentException>(() => new MelSpectrogram(new MelParams(WinSize: 4000)));
    }

    [Fact]
    public void Slaney_scale_is_linear_below_1khz_and_logarithmic_above()
    {
        Assert.Equal(15.0, MelFilterBank.HzToMel(1000), 12);
        Assert.Equal(3.0, MelFilterBank.HzToMel(200), 12);
        foreach (var hz in new[] { 0.0, 440, 999, 1000, 4000, 8000, 12000 })
            Assert.Equal(hz, MelFilterBank.MelToHz(MelFilterBank.HzToMel(hz)), 8);
        Assert.True(MelFilterBank.HzToMel(8000) - MelFilterBank.HzToMel(4000) < MelFilterBank.HzToMel(4000) - MelFilterBank.HzToMel(0));
    }
}
