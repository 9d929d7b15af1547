using StepAudio.Checkpoints;
using StepAudio.Tokenizers.FrontEnds;
using StepAudio.Tokenizers.Paraformer;
using static TorchSharp.torch;

namespace StepAudio.Tests.Tokenizers.Paraformer;

/// <summary>Loading a FunASR model folder (model.pt + config.yaml + am.mvn) and its error reports.</summary>
public sealed class ParaformerLoadingTests : IDisposable
{
    readonly string dir = TestPaths.NewTempDir("paraformer");

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static float[] Wav(string key)
    {
        using var io = SafetensorsFile.Open(Path.Combine(TinyParaformerFiles.FixtureDir, "io.safetensors"));
        using var t = io.Read(key);
        return t.data<float>().ToArray();
    }

    [Fact]
    public void ModelPtEncoderSubsetGivesTheSameOutputAsTheSafetensorsWeights()
    {
        TinyParaformerFiles.Write(dir);
        using var tokenizer = Vq02Tokenizer.Load(dir, TinyParaformerFiles.CodebookPath);
        var reference = new SanmEncoderChunkOpt(tokenizer.Encoder.Config);
        ParaformerWeights.Load(reference, Path.Combine(TinyParaformerFiles.FixtureDir, "weights.safetensors"));
        using var scope = NewDisposeScope();
        var wav = Wav("A.wav16");
        var fromPt = tokenizer.EncoderOutput(wav);
        // Owns reference from here on.
        using var other = new Vq02Tokenizer(reference, tokenizer.FrontEnd, AmMvnOf(dir), LinguisticCodebook.Load(TinyParaformerFiles.CodebookPath));
        var fromSafetensors = other.EncoderOutput(wav);
        Assert.Equal(new long[] { 1, 22, 32 }, fromPt.shape);
        Assert.True(fromPt.allclose(fromSafetensors, rtol: 0, atol: 0));
        // The fixture's codes (dither 0 even though config.yaml says 1.0).
        using var io = SafetensorsFile.Open(Path.Combine(TinyParaformerFiles.FixtureDir, "io.safetensors"));
        using var codes = io.Read("A.codes");
        Assert.Equal(codes.data<long>().ToArray(), tokenizer.Encode(wav));
    }

    static Tensor AmMvnOf(string folder) => AmMvn.Load(Path.Combine(folder, "am.mvn"));

    [Fact]
    public void MissingEncoderKeyNamesFileAndKey()
    {
        const string key = "encoder.encoders.1.norm2.bias";
        TinyParaformerFiles.Write(dir, dropKey: key);
        var e = Assert.Throws<InputException>(() => Vq02Tokenizer.Load(dir, TinyParaformerFiles.CodebookPath));
        Assert.Equal(Path.Combine(dir, "model.pt"), e.File);
        Assert.Equal(key, e.Field);
    }

    [Fact]
    public void MisShapedEncoderKeyNamesIt()
    {
        TinyParaformerFiles.Write(dir);
        // config.yaml with 64-wide blocks does not fit the 32-wide weights.
        File.WriteAllText(Path.Combine(dir, "config.yaml"),
            File.ReadAllText(Path.Combine(dir, "config.yaml")).Replace("output_size: 32", "output_size: 64"));
        var e = Assert.Throws<InputException>(() => Vq02Tokenizer.Load(dir, TinyParaformerFiles.CodebookPath));
        Assert.Equal(Path.Combine(dir, "model.pt"), e.File);
        Assert.StartsWith("encoder.", e.Field);
        Assert.Contains("shape", e.Problem);
    }

    [Theory]
    [InlineData("model.pt")]
    [InlineData("config.yaml")]
    [InlineData("am.mvn")]
    public void MissingFileIsNamed(string file)
    {
        TinyParaformerFiles.Write(dir);
        File.Delete(Path.Combine(dir, file));
        var e = Assert.Throws<InputException>(() => Vq02Tokenizer.Load(dir, TinyParaformerFiles.CodebookPath));
        Assert.Equal(Path.Combine(dir, file), e.File);
    }

    [Fact]
    public void MissingCodebookAndFolderAreNamed()
    {
        TinyParaformerFiles.Write(dir);
        var npy = Path.Combine(dir, "linguistic_tokenizer.npy");
        Assert.Equal(npy, Assert.Throws<InputException>(() => Vq02Tokenizer.Load(dir, npy)).File);
        var nowhere = Path.Combine(dir, "nowhere");
        Assert.Equal(nowhere, Assert.Throws<InputException>(() => Vq02Tokenizer.Load(nowhere, TinyParaformerFiles.CodebookPath)).File);
    }

    [Fact]
    public void EncodeLeavesNoLiveTensors()
    {
        TinyParaformerFiles.Write(dir);
        using var tokenizer = Vq02Tokenizer.Load(dir, TinyParaformerFiles.CodebookPath);
        var wav = Wav("B.wav16");
        tokenizer.Encode(wav);
        long before = TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        for (int i = 0; i < 3; i++) tokenizer.Encode(wav);
        using (var output = tokenizer.EncoderOutput(wav)) Assert.Equal(15, output.size(1));
        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void StreamingInPiecesMatchesOneCall()
    {
        TinyParaformerFiles.Write(dir);
        using var tokenizer = Vq02Tokenizer.Load(dir, TinyParaformerFiles.CodebookPath);
        using var scope = NewDisposeScope();
        var wav = Wav("A.wav16");
        var whole = tokenizer.EncoderOutput(wav);
        // Non-final calls keep the remainder (prev_samples) and all caches; the final call flushes.
        using var stream = new ParaformerStream(tokenizer.Encoder, tokenizer.FrontEnd, AmMvnOf(dir), tokenizer.Streaming);
        var first = stream.Feed(wav.AsSpan(0, 5000), isFinal: false);
        var second = stream.Feed(wav.AsSpan(5000, 9000), isFinal: false);
        var last = stream.Feed(wav.AsSpan(14000), isFinal: true);
        Assert.Equal(new long[] { 4, 8 }, new[] { first.size(1), second.size(1) });
        Assert.True(cat([first, second, last], 1).allclose(whole, rtol: 0, atol: 1e-6));
    }
}
