using System.Text.Json;
using StepAudio.Tokenizers.FrontEnds;
using static TorchSharp.torch;

namespace StepAudio.Tests.Tokenizers;

/// <summary>am.mvn parse errors, fbank/whisper option validation, and LFR padding on hand-made inputs.</summary>
public class FrontEndOptionTests
{
    static string WriteMvn(string text)
    {
        var path = Path.Combine(TestPaths.NewTempDir("ammvn"), "am.mvn");
        File.WriteAllText(path, text);
        return path;
    }

    const string Good = "<Nnet>\n<Splice> 2 2\n[ 0 ]\n<AddShift> 2 2\n<LearnRateCoef> 0 [ -1.5 -2.25 ]\n<Rescale> 2 2\n<LearnRateCoef> 0 [ 0.5 0.25 ]\n</Nnet>\n";

    [Fact]
    public void AmMvnParsesShiftAndRescaleAndApplies()
    {
        using var cmvn = AmMvn.Load(WriteMvn(Good));
        Assert.Equal(new long[] { 2, 2 }, cmvn.shape);
        Assert.Equal(new[] { -1.5f, -2.25f, 0.5f, 0.25f }, cmvn.data<float>().ToArray());
        using var x = tensor(new[] { 3.5f, 4.25f }, new long[] { 1, 2 });
        using var y = AmMvn.Apply(x, cmvn);
        Assert.Equal(new[] { 1.0f, 0.5f }, y.data<float>().ToArray());
    }

    [Theory]
    [InlineData("<Nnet>\n<Rescale> 2 2\n<LearnRateCoef> 0 [ 0.5 0.25 ]\n", "<AddShift>")]
    [InlineData("<AddShift> 2 2\n<LearnRateCoef> 0 [ -1 -2 ]\n", "<Rescale>")]
    [InlineData("<AddShift> 2 2\n<LearnRateCoef> 0 [ -1 x2 ]\n<Rescale> 2 2\n<LearnRateCoef> 0 [ 1 1 ]\n", "'x2' is not a finite number")]
    [InlineData("<AddShift> 2 2\n<LearnRateCoef> 0 [ -1 -2 ]\n<Rescale> 1 1\n<LearnRateCoef> 0 [ 1 ]\n", "<AddShift> has 2 values but <Rescale> has 1")]
    [InlineData("<AddShift> 2 2\n[ -1 -2 ]\n<Rescale> 2 2\n<LearnRateCoef> 0 [ 1 1 ]\n", "expected '<LearnRateCoef> c [ values ]'")]
    [InlineData("<AddShift> 2 2", "ends right after the tag")]
    public void AmMvnRejectsBadFilesNamingFileAndProblem(string text, string problem)
    {
        var path = WriteMvn(text);
        var e = Assert.Throws<InputException>(() => AmMvn.Load(path));
        Assert.Equal(path, e.File);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void AmMvnMissingFileIsAnInputException()
    {
        var path = Path.Combine(TestPaths.NewTempDir("ammvn"), "nope.mvn");
        var e = Assert.Throws<InputException>(() => AmMvn.Load(path));
        Assert.Contains("does not exist", e.Message);
    }

    [Theory]
    [InlineData("{\"window_type\": \"blackmanish\"}", "WindowType")]
    [InlineData("{\"num_mel_bins\": 3}", "NumMelBins")]
    [InlineData("{\"low_freq\": 9000}", "LowFreq")]
    [InlineData("{\"high_freq\": 9000}", "HighFreq")]
    [InlineData("{\"dither\": -1}", "Dither")]
    [InlineData("{\"frame_length_ms\": 0.01}", "FrameLengthMs")]
    public void FbankOptionsRejectBadValues(string json, string option)
    {
        using var doc = JsonDocument.Parse(json);
        var options = KaldiFbankOptions.FromJson(doc.RootElement);
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(option, e.Message);
        using var wav = zeros(1600);
        Assert.Throws<ArgumentException>(() => KaldiFbank.Compute(wav, options));
    }

    [Fact]
    public void FbankOptionsReadTorchaudioNamesAndRejectEnergy()
    {
        using var doc = JsonDocument.Parse("{\"num_mel_bins\": 40, \"frame_length\": 20, \"window_type\": \"hamming\", \"high_freq\": -400}");
        var o = KaldiFbankOptions.FromJson(doc.RootElement);
        Assert.Equal((40, 320, 512, "hamming", 7600.0), (o.NumMelBins, o.WindowSize, o.PaddedWindowSize, o.WindowType, o.EffectiveHighFreq));
        using var energy = JsonDocument.Parse("{\"use_energy\": true}");
        Assert.Throws<ArgumentException>(() => KaldiFbankOptions.FromJson(energy.RootElement));
    }

    [Fact]
    public void FbankFrameCountsFollowSnipEdges()
    {
        using var wav = randn(1000);
        var snip = new KaldiFbankOptions { NumMelBins = 10 };
        using var a = KaldiFbank.Compute(wav, snip);
        Assert.Equal(new long[] { 1 + (1000 - 400) / 160, 10 }, a.shape);
        using var b = KaldiFbank.Compute(wav, snip with { SnipEdges = false });
        Assert.Equal(new long[] { (1000 + 80) / 160, 10 }, b.shape);
        using var tooShort = randn(399);
        Assert.Throws<ArgumentException>(() => KaldiFbank.Compute(tooShort, snip));
    }

    [Fact]
    public void LfrPadsFrontWithFirstFrameAndBackWithLastFrame()
    {
        using var x = arange(5, ScalarType.Float32).unsqueeze(1);
        using var y = Lfr.Apply(x, 3, 2);
        // padded rows 0,0,1,2,3,4 → windows [0,0,1] [1,2,3] [3,4,4]
        Assert.Equal(new long[] { 3, 3 }, y.shape);
        Assert.Equal(new[] { 0f, 0, 1, 1, 2, 3, 3, 4, 4 }, y.data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => Lfr.Apply(x, 0, 2));
    }

    [Fact]
    public void WhisperOptionsRejectBadValues()
    {
        Assert.Contains("PadMode", Assert.Throws<ArgumentException>(() => new WhisperLogMelOptions { PadMode = "mirror" }.Validate()).Message);
        Assert.Contains("HopLength", Assert.Throws<ArgumentException>(() => new WhisperLogMelOptions { HopLength = 0 }.Validate()).Message);
        using var filters = zeros(3, 3);
        Assert.Throws<ArgumentException>(() => new WhisperLogMel(null, filters));
        using var mel = new WhisperLogMel(new WhisperLogMelOptions { NMels = 80 });
        using var wav = randn(1600);
        using var feat = mel.Compute(wav);
        Assert.Equal(new long[] { 80, 10 }, feat.shape);
    }
}
