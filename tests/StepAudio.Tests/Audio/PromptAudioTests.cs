using StepAudio.Audio;
using static TorchSharp.torch;

namespace StepAudio.Tests.Audio;

public class PromptAudioTests
{
    [Fact]
    public void Limiter_matches_upstream_preprocess_prompt_wav()
    {
        using var scope = NewDisposeScope();
        var io = AudioFixtures.TorchaudioResample();
        var clip = AudioClip.Mono(AudioFixtures.Row(io["wav24"]), 24000);
        var expected = AudioFixtures.Row(io["prompt_wav"]);
        var actual = PromptAudio.Preprocess(clip).Channels[0];
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second)) <= 1e-7f);
        Assert.Equal(0.6f, actual.Max(Math.Abs), 6);
    }

    [Fact]
    public void Quiet_prompt_is_unchanged_and_stereo_is_averaged()
    {
        var quiet = AudioFixtures.Row(AudioFixtures.TorchaudioResample()["B.wav24"]);
        Assert.True(quiet.Max(Math.Abs) <= 0.6f);
        Assert.Equal(quiet, PromptAudio.Preprocess(AudioClip.Mono(quiet, 24000)).Channels[0]);

        var left = new[] { 0.2f, 0.9f, -0.4f };
        var right = new[] { 0.0f, 0.9f, 0.4f };
        var mono = PromptAudio.Preprocess(new AudioClip(new[] { left, right }, 16000));
        Assert.Single(mono.Channels);
        Assert.Equal(16000, mono.SampleRate);
        // mean = [0.1, 0.9, 0]; peak 0.9 > 0.6 → scaled by 0.6 / 0.9.
        Assert.Equal(new[] { 0.1f / 0.9f * 0.6f, 0.6f, 0f }, mono.Channels[0]);
    }

    [Fact]
    public void Load_reads_a_wav_file()
    {
        var dir = TestPaths.NewTempDir();
        try
        {
            var path = Path.Combine(dir, "p.wav");
            WavFile.Write(path, new AudioClip(new[] { new[] { 1f, -1f, 0.5f }, new[] { 1f, 0f, 0.5f } }, 24000),
                WavSampleFormat.Float, 32);
            var clip = PromptAudio.Load(path);
            Assert.Equal(new[] { 0.6f, -0.3f, 0.3f }, clip.Channels[0]);
        }
        finally { Directory.Delete(dir, true); }
    }
}
