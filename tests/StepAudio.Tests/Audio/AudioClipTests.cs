using StepAudio.Audio;

namespace StepAudio.Tests.Audio;

public class AudioClipTests
{
    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 37)]
    [InlineData(3, 64)]
    [InlineData(6, 1001)]
    public void ToMono_is_the_channel_mean_over_vector_and_tail_samples(int channels, int length)
    {
        var rng = new Random(length);
        var ch = Enumerable.Range(0, channels)
            .Select(_ => Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var mono = new AudioClip(ch, 8000).ToMono();
        Assert.Equal(length, mono.Length);
        for (int i = 0; i < length; i++)
        {
            float sum = 0;
            for (int c = 0; c < channels; c++) sum += ch[c][i];
            Assert.Equal(sum / channels, mono[i]);
        }
        if (channels == 1) Assert.NotSame(ch[0], mono);
    }
}
