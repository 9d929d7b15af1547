using StepAudio.Bench;

namespace StepAudio.Tests.Bench;

public class ProsodyBenchTests
{
    [Fact]
    public void Ours_tracks_a_vibrato_tone_and_NWaves_yin_is_lag_quantised()
    {
        var ours = ProsodyBench.Score("ours-yin", 200, harmonic: true, vibrato: true, snrDb: 20);
        Assert.True(ours.Judged > 80);
        Assert.Equal((0, 0), (ours.Missed, ours.Gross));
        Assert.True(ours.MeanCents < 10, $"ours: {ours.MeanCents} cents");
        // The reason bench-prosody gives for not using Pitch.FromYin: 24000 / 59 = 406.8 Hz, returned as 406 (+26 cents).
        var nwaves = ProsodyBench.Score("nwaves-yin", 400, harmonic: false, vibrato: false, snrDb: double.PositiveInfinity);
        Assert.True(nwaves.MeanCents > 20, $"NWaves YIN: {nwaves.MeanCents} cents");
    }

    [Fact]
    public void Frame_rms_silence_finds_the_synthetic_padding()
    {
        var (name, clip, lead, trail) = ProsodyBench.SilenceCases().First();
        var (l, t) = ProsodyBench.FrameRmsSilence(clip);
        Assert.Equal(lead, l, 0.02);
        Assert.Equal(trail, t, 0.02);
        var silent = ProsodyBench.SilenceCases().Last();
        Assert.Equal((silent.Clip.Duration, 0.0), ProsodyBench.FrameRmsSilence(silent.Clip));
        Assert.Contains("silence", name);
    }
}
