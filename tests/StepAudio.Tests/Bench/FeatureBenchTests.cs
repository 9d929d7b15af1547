using StepAudio.Audio;
using StepAudio.Bench;

namespace StepAudio.Tests.Bench;

public class FeatureBenchTests
{
    [Fact]
    public void Times_every_readable_wav_and_the_synthetic_clip()
    {
        var dir = TestPaths.NewTempDir("bench");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "sub"));
            WavFile.Write(Path.Combine(dir, "sub", "a.wav"), FeatureBench.SyntheticClip(0.5, 16000));
            WavFile.Write(Path.Combine(dir, "b.wav"), AudioClip.Mono(new float[12000], 24000));
            File.WriteAllText(Path.Combine(dir, "c.wav"), "not audio");
            var result = FeatureBench.Run(dir, 0.4, repeats: 1, threads: 1);
            Assert.Equal(new[] { "b.wav", Path.Combine("sub", "a.wav") }, result.Clips.Select(c => c.Name));
            Assert.Equal(25, result.Clips[1].MelFrames);        // 0.5 s → 12000 samples at 24 kHz / hop 480
            Assert.Equal(25, result.Clips[0].MelFrames);
            Assert.Contains("c.wav", Assert.Single(result.Skipped));
            Assert.Equal(20, result.Synthetic.MelFrames);
            Assert.Equal(FeatureBench.SyntheticRate, result.Synthetic.SampleRate);
            Assert.All(result.Clips.Append(result.Synthetic), c => Assert.True(c.MelMs > 0 && c.ResampleMs >= 0));
            Assert.Equal(2, result.Clips.Count);
            Assert.NotNull(result.FolderMean);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Missing_folder_times_only_the_synthetic_clip()
    {
        var result = FeatureBench.Run(Path.Combine(Path.GetTempPath(), "no-such-folder-" + Guid.NewGuid()), 0.2, 1, 1);
        Assert.Empty(result.Clips);
        Assert.Null(result.FolderMean);
        Assert.Equal(2, result.Synthetic.Channels);
    }
}
