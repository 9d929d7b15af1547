using StepAudio.Flow;
using StepAudio.Tokenizers.FrontEnds;
using static TorchSharp.torch;

namespace StepAudio.Tests.Tokenizers;

/// <summary>Edge cases of the tokenizer preprocessing that the parity fixture does not reach.</summary>
public sealed class TokenizerPreprocessTests
{
    static float[] Tone(int n, int from, int to, float amp)
    {
        var x = new float[n];
        for (int i = from; i < to; i++) x[i] = amp * MathF.Sin(2 * MathF.PI * 220 * i / 16000f);
        return x;
    }

    [Fact]
    public void AllZeroClipIsKeptWholeAsLibrosaDoes()
    {
        // librosa measures dB against the loudest frame: with every rms 0 all frames are at 0 dB, i.e. non-silent.
        var wav = new float[16000];
        var trimmed = TokenizerPreprocess.TrimSilence(wav, new TrimSilenceOptions(), out var trim);
        Assert.Equal((0L, 16000L), (trim.Start, trim.End));
        Assert.All(trim.NonSilent, Assert.True);
        Assert.Equal(67 * 240 + 4320, trimmed.Length);          // ceil(16000 / 240) frames + 0.27 s
        Assert.All(trimmed, x => Assert.Equal(0f, x));
    }

    [Fact]
    public void QuietClipKeepsOnlyTheToneWithItsMargins()
    {
        var wav = Tone(32000, 8000, 20000, 0.5f);
        var trimmed = TokenizerPreprocess.TrimSilence(wav, new TrimSilenceOptions(), out var trim);
        Assert.InRange(trim.Start, 7000, 8000);
        Assert.InRange(trim.End, 20000, 21000);
        long frames = (trim.End - trim.Start + 239) / 240;
        Assert.Equal(frames * 240 + 4320, trimmed.Length);
        Assert.Equal(wav[trim.Start - 800 + 900], trimmed[900]);  // cut branch: output o is input start − 800 + o
    }

    [Fact]
    public void SpeechFromTheFirstSampleIsLeftPadded()
    {
        var wav = Tone(16000, 0, 16000, 0.5f);
        var trimmed = TokenizerPreprocess.TrimSilence(wav);
        Assert.All(trimmed.Take(800), x => Assert.Equal(0f, x));
        Assert.Equal(wav[1], trimmed[801]);
        Assert.All(trimmed.Skip(800 + 16000), x => Assert.Equal(0f, x));   // right pad past the end
    }

    [Fact]
    public void EnergyNormDoesNotBlowUpNearSilence()
    {
        Assert.All(TokenizerPreprocess.EnergyNorm(new float[100]), x => Assert.Equal(0f, x));
        var quiet = TokenizerPreprocess.EnergyNorm(new[] { 0.001f, -0.002f });
        Assert.Equal(-0.002f / 0.01f * 0.999f, quiet[1]);
        Assert.Equal(0.999f, TokenizerPreprocess.EnergyNorm(new[] { 0.1f, -0.5f }).Select(Math.Abs).Max());
    }

    [Fact]
    public void EmptyOrOneSampleInput()
    {
        Assert.Throws<ArgumentException>(() => TokenizerPreprocess.Preprocess(Array.Empty<float>(), 24000));
        Assert.Throws<ArgumentException>(() => TokenizerPreprocess.TrimSilence(Array.Empty<float>()));
        // One 24 kHz sample resamples to one 16 kHz sample: one frame of speech plus the margins, no crash.
        var one = TokenizerPreprocess.Preprocess(new[] { 0.5f }, 24000);
        Assert.Equal(240 + 4320, one.Length);
        Assert.All(one, x => Assert.True(float.IsFinite(x)));
    }

    [Fact]
    public void ResamplerForTheWrongRateIsRejected()
    {
        using var r = new StepAudio.Audio.Resampler(48000, 16000);
        var e = Assert.Throws<ArgumentException>(() => TokenizerPreprocess.Preprocess(new float[4800], 24000, resampler: r));
        Assert.Contains("48000", e.Message);
    }

    [Fact]
    public void FbankNeedsOneWholeFrame()
    {
        using var tooShort = tensor(new float[399]);
        var e = Assert.Throws<ArgumentException>(() => SpeechFrontEnds.CamPlusPlus(tooShort, SpeechFrontEnds.CamPlusPlusOptions));
        Assert.Contains("400", e.Message);
        using var wav = tensor(Tone(400 + 160, 0, 560, 0.3f));
        using var feat = SpeechFrontEnds.CamPlusPlus(wav, SpeechFrontEnds.CamPlusPlusOptions);
        Assert.Equal(new long[] { 1, 2, 80 }, feat.shape);
        Assert.True(feat.isfinite().all().item<bool>());
    }

    [Fact]
    public void InterleaveDropsLeftoversAndRejectsOutOfRangeCodes()
    {
        var n = Vq0206Tokens.TokenNumbers(new long[] { 1, 2, 3 }, new long[] { 4, 5, 6, 7 });
        Assert.Equal(new[] { 1, 2, 1028, 1029, 1030 }, n);
        Assert.Equal(new long[] { 65537, 65538, 66564, 66565, 66566 }, Vq0206Tokens.MixedIds(n));
        Assert.ThrowsAny<ArgumentException>(() => Vq0206Tokens.TokenNumbers(new long[] { 1024, 0 }, new long[] { 0, 0, 0 }));
    }

    [Fact]
    public void ReshapeRejectsAShortTailPad()
    {
        Assert.Throws<ArgumentException>(() => DualCodebookTokens.Reshape(new[] { 1, 2 }, 1024, 1, new long[] { 1024 }));
        var dual = DualCodebookTokens.Reshape(new[] { 1, 2 }, 1024, 1, DualCodebookTokens.DefaultTailPad);
        Assert.Equal(new long[] { 1, 2, 1024 }, new[] { dual[0, 0], dual[1, 0], dual[2, 0] });
        Assert.Equal(new long[] { 1025, 1025, 1025 }, new[] { dual[0, 1], dual[1, 1], dual[2, 1] });
    }

    [Fact]
    public void PromptFeatAlignRejectsEmptyInput()
    {
        using var empty = zeros(1, 0, 80);
        Assert.Throws<ArgumentException>(() => PromptFeatAlign.Nearest(empty, 66));
        using var two = arange(2, dtype: ScalarType.Float32).reshape(1, 2, 1);
        using var four = PromptFeatAlign.Nearest(two, 4);
        Assert.Equal(new float[] { 0, 0, 1, 1 }, four.data<float>().ToArray());
    }
}
