using Microsoft.DotNet.Interactive.Formatting;
using StepAudio.Audio;

namespace StepAudio.Notebooks.Tests.Formatters;

public sealed class AudioFormatterTests : IDisposable
{
    public AudioFormatterTests() => NotebookFormatters.Register();
    public void Dispose() => Formatter.ResetToDefault();

    static float[] Sine(int n, int rate, double hz, float amp) =>
        Enumerable.Range(0, n).Select(i => amp * (float)Math.Sin(2 * Math.PI * hz * i / rate)).ToArray();

    [Fact]
    public void A_stereo_clip_plays_as_a_mono_16_bit_wav_data_uri_with_a_waveform()
    {
        var left = Sine(8000, 16000, 440, 0.5f);
        var right = left.Select(v => -v * 0.5f).ToArray();
        var html = Formatter.ToDisplayString(new AudioClip(new[] { left, right }, 16000), HtmlFormatter.MimeType);

        Assert.Contains("<audio controls", html);
        const string prefix = "src=\"data:audio/wav;base64,";
        int at = html.IndexOf(prefix, StringComparison.Ordinal);
        Assert.True(at >= 0, "no WAV data URI");
        Assert.StartsWith("UklGR", html[(at + prefix.Length)..]);
        var base64 = html[(at + prefix.Length)..html.IndexOf('"', at + prefix.Length)];
        var decoded = WavFile.FromBytes(Convert.FromBase64String(base64), "player", out var format);
        Assert.Equal((1, 16, 16000, WavSampleFormat.Pcm), (format.Channels, format.BitsPerSample, format.SampleRate, format.SampleFormat));
        Assert.Equal(8000, decoded.Length);
        Assert.Equal((left[100] + right[100]) / 2, decoded.Channels[0][100], 3);   // the downmix, within 16-bit steps
        Assert.Contains("<svg", html);
        Assert.Contains("0.5 s", html);
        Assert.Contains("16,000 Hz", html);
    }

    [Fact]
    public void The_waveform_of_a_long_clip_stays_small_and_keeps_its_peaks()
    {
        var samples = new float[3_000_000];                 // ~3 min at 16 kHz
        samples[1_500_000] = 0.9f;
        samples[2_000_000] = -0.7f;
        var svg = WaveformSvg.Render(AudioClip.Mono(samples, 16000), width: 600);
        Assert.True(svg.Length < 30_000, $"waveform SVG is {svg.Length} chars");
        var (min, max) = WaveformSvg.Envelope(samples, 600);
        Assert.Equal(600, max.Length);
        Assert.Equal(0.9f, max[300]);
        Assert.Equal(-0.7f, min[400]);
        Assert.Equal(0f, max[10]);
    }

    [Fact]
    public void Titles_and_labels_are_escaped()
    {
        var dir = RepoPaths.NewTempDir("sa-audio");
        var wav = Path.Combine(dir, "a.wav");
        WavFile.Write(wav, AudioClip.Mono(Sine(1600, 16000, 220, 0.3f), 16000));
        var one = Formatter.ToDisplayString(Show.Audio(wav, "<script>alert(1)</script>"), HtmlFormatter.MimeType);
        var two = Formatter.ToDisplayString(Show.CompareAudio(wav, wav, "<b>before</b>", "after"), HtmlFormatter.MimeType);

        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", one);
        Assert.DoesNotContain("<script>alert", one);
        Assert.Contains("&lt;b&gt;before&lt;/b&gt;", two);
        Assert.Equal(2, two.Split("<audio controls").Length - 1);
        Assert.Contains("sa-side", two);
    }
}
