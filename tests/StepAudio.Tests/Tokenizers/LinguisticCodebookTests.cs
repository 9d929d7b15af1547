using StepAudio.Checkpoints;
using StepAudio.Tokenizers.FrontEnds;
using static TorchSharp.torch;

namespace StepAudio.Tests.Tokenizers;

/// <summary>
/// The vq02 nearest-centroid lookup, against the codes of the paraformer_encoder parity fixture (codebook and encoder
/// outputs extracted into tests/fixtures/codebook/ by scripts/make-npy-fixtures.py; upstream used cdist + argmin).
/// </summary>
public sealed class LinguisticCodebookTests
{
    static string Fixture(string name) => Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "codebook", name);

    [Theory]
    [InlineData("A", 22)]
    [InlineData("B", 15)]
    public void ParityFixtureCodesMatchExactly(string input, int frames)
    {
        using var book = LinguisticCodebook.Load(Fixture("linguistic_tokenizer.npy"));
        Assert.Equal((64L, 32L), (book.Size, book.Dim));
        using var io = SafetensorsFile.Open(Fixture("paraformer_encoder_codes.safetensors"));
        using var encOut = io.Read(input + ".enc_out");
        using var expected = io.Read(input + ".codes");
        using var frameRows = encOut[0];
        using var codes = book.Encode(frameRows);
        Assert.Equal(ScalarType.Int64, codes.dtype);
        Assert.Equal(frames, codes.shape[0]);
        Assert.Equal(expected.data<long>().ToArray(), codes.data<long>().ToArray());
        // The fixture's codebook mixes encoder-like rows and noise, so the codes must actually vary.
        Assert.True(expected.data<long>().Distinct().Count() > 3);
    }

    [Fact]
    public void TiesGoToTheLowestIndexAndFloatArrayOverloadAgrees()
    {
        // Centroids 0 and 2 are both at distance 1 from the origin; 1 is farther.
        using var book = new LinguisticCodebook(tensor(new float[] { 1, 0, 3, 3, 0, 1 }, [3, 2]));
        Assert.Equal([0L, 1L, 2L], book.Encode([0f, 0f, 2.9f, 3.1f, 0f, 0.9f]));
    }

    [Fact]
    public void ShapeMismatchesThrowArgumentException()
    {
        using var book = new LinguisticCodebook(zeros(4, 3));
        Assert.Throws<ArgumentException>(() => book.Encode(zeros(5, 2)).Dispose());
        Assert.Throws<ArgumentException>(() => book.Encode(zeros(1, 5, 3)).Dispose());
        Assert.Throws<ArgumentException>(() => book.Encode(zeros(new long[] { 5, 3 }, ScalarType.Int64)).Dispose());
        Assert.Throws<ArgumentException>(() => book.Encode(new float[7]));
        Assert.Throws<ArgumentException>(() => new LinguisticCodebook(zeros(4)));
        Assert.Throws<ArgumentException>(() => new LinguisticCodebook(zeros(0, 3)));
    }

    [Fact]
    public void NonMatrixNpyIsInputException()
    {
        var e = Assert.Throws<InputException>(() => LinguisticCodebook.Load(
            Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "npy", "i8_fortran_3d_v2.npy")));
        Assert.Contains("[K, D]", e.Problem);
    }
}
