using StepAudio.Tokenizers.FrontEnds;
using StepAudio.Tokenizers.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Tests.Tokenizers.Onnx;

/// <summary>
/// The ONNX runners on the tiny stand-in models of scripts/make-tiny-onnx.py, whose maths the tests recompute:
/// vq06 code k = argmax_mel(feats[:, 4k]) · 32 + T mod 32; CAM++ = mean_time(fbank) · W, W[i, j] = ((i·192 + j) mod 7 − 3) / 10.
/// </summary>
public sealed class OnnxRunnerTests : IDisposable
{
    static string Fixture(string name) => Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "onnx", name);

    readonly string dir = TestPaths.NewTempDir("onnx");

    public void Dispose() => Directory.Delete(dir, true);

    static long[] ExpectedCodes(Tensor feats)
    {
        var f = feats.to(ScalarType.Float32).contiguous().data<float>().ToArray();
        int mels = (int)feats.shape[0], frames = (int)feats.shape[1];
        var codes = new List<long>();
        for (int t = 0; t < frames; t += 4)
        {
            int best = 0;
            for (int m = 1; m < mels; m++) if (f[m * frames + t] > f[best * frames + t]) best = m;
            codes.Add(best * 32L + frames % 32);
        }
        return codes.ToArray();
    }

    static float[] ExpectedEmbedding(Tensor fbank)
    {
        var f = fbank.contiguous().data<float>().ToArray();
        int frames = (int)fbank.shape[1];
        var e = new float[192];
        for (int j = 0; j < 192; j++)
        {
            double sum = 0;
            for (int i = 0; i < 80; i++)
            {
                double mean = 0;
                for (int t = 0; t < frames; t++) mean += f[t * 80 + i];
                sum += mean / frames * (((i * 192 + j) % 7 - 3) / 10.0);
            }
            e[j] = (float)sum;
        }
        return e;
    }

    [Theory]
    [InlineData("tiny_vq06.onnx", "feats", "feats_length", "indices")]
    [InlineData("tiny_vq06_renamed.onnx", "mel", "mel_len", "tokens")]
    public void Vq06_codes_follow_the_graph_with_names_from_the_session(string file, string feats, string len, string codes)
    {
        using var tok = new S3Vq06Tokenizer(Fixture(file));
        Assert.Equal(new[] { feats, len }, tok.Model.InputNames);
        Assert.Equal(new[] { codes }, tok.Model.OutputNames);
        var gen = new Generator(7);
        foreach (int frames in new[] { 37, 40, 1 })
        {
            using var x = randn(128, frames, generator: gen);
            var got = tok.CodesForFeatures(x);
            Assert.Equal((frames + 3) / 4, got.Length);
            Assert.Equal(ExpectedCodes(x), got);
            Assert.All(got, c => Assert.InRange(c, 0, 4095));
        }
    }

    [Fact]
    public void Split_chunks_is_upstreams_30_s_split_dropping_tails_under_480_samples()
    {
        Assert.Equal(new[] { (0L, 480000L), (480000L, 480000L), (960000L, 80000L) }, S3Vq06Tokenizer.SplitChunks(1_040_000));
        Assert.Equal(new[] { (0L, 480000L) }, S3Vq06Tokenizer.SplitChunks(480000 + 479));
        Assert.Equal(new[] { (0L, 480000L), (480000L, 480L) }, S3Vq06Tokenizer.SplitChunks(480000 + 480));
        Assert.Empty(S3Vq06Tokenizer.SplitChunks(479));
    }

    [Fact]
    public void Encode_runs_each_30_s_chunk_and_concatenates_the_codes()
    {
        using var tok = new S3Vq06Tokenizer(Fixture("tiny_vq06.onnx"));
        using var logMel = new WhisperLogMel();
        using var audio = randn(65 * 16000, generator: new Generator(3)) * 0.1;  // 30 s + 30 s + 5 s
        var got = tok.Encode(audio.unsqueeze(0));
        var expected = new List<long>();
        foreach (var (start, length) in new[] { (0L, 480000L), (480000L, 480000L), (960000L, 80000L) })
        {
            using var feats = logMel.Compute(audio.narrow(0, start, length));
            expected.AddRange(ExpectedCodes(feats));
        }
        Assert.Equal(750 + 750 + 125, got.Length);
        Assert.Equal(expected, got);
        // Each chunk saw its own length: 3000 frames → 3000 mod 32 = 24; 500 frames → 20.
        Assert.Equal(24, got[0] % 32);
        Assert.Equal(24, got[750] % 32);
        Assert.Equal(20, got[1500] % 32);
    }

    [Theory]
    [InlineData("tiny_campplus.onnx", "input", "output")]
    [InlineData("tiny_campplus_renamed.onnx", "fbank", "embedding")]
    public void CamPlusPlus_embedding_follows_the_graph_with_names_from_the_session(string file, string input, string output)
    {
        using var cam = new CamPlusPlusOnnx(Fixture(file));
        Assert.Equal(new[] { input }, cam.Model.InputNames);
        Assert.Equal(new[] { output }, cam.Model.OutputNames);
        using var fbank = randn(1, 53, 80, generator: new Generator(5));
        var got = cam.Embed(fbank);
        var expected = ExpectedEmbedding(fbank);
        Assert.Equal(192, got.Length);
        for (int j = 0; j < 192; j++) Assert.Equal(expected[j], got[j], 1e-4f);
        Assert.True(got.Select(Math.Abs).Max() > 0.01f);
    }

    [Fact]
    public void CamPlusPlus_from_waveform_uses_the_campplus_front_end()
    {
        using var cam = new CamPlusPlusOnnx(Fixture("tiny_campplus.onnx"));
        using var wave = randn(16000, generator: new Generator(9)) * 0.1;
        using var fbank = SpeechFrontEnds.CamPlusPlus(wave, SpeechFrontEnds.CamPlusPlusOptions);
        Assert.Equal(cam.Embed(fbank), cam.EmbedWaveform(wave));
    }

    [Fact]
    public void Wrong_tensors_are_argument_errors_before_onnxruntime_sees_them()
    {
        using var tok = new S3Vq06Tokenizer(Fixture("tiny_vq06.onnx"));
        using var cam = new CamPlusPlusOnnx(Fixture("tiny_campplus.onnx"));
        using var mel80 = zeros(80, 10);
        using var noFrames = zeros(128, 0);
        using var intAudio = zeros(new long[] { 16000 }, ScalarType.Int64);
        using var stereo = zeros(2, 16000);
        using var fbank2d = zeros(10, 80);
        using var noFbank = zeros(1, 0, 80);
        Assert.Contains("[128, frames]", Assert.Throws<StepAudio.Nn.TensorArgumentException>(() => tok.CodesForFeatures(mel80)).Message);
        Assert.Throws<StepAudio.Nn.TensorArgumentException>(() => tok.CodesForFeatures(noFrames));
        Assert.Throws<StepAudio.Nn.TensorArgumentException>(() => tok.Encode(intAudio));
        Assert.Throws<StepAudio.Nn.TensorArgumentException>(() => tok.Encode(stereo));
        Assert.Throws<StepAudio.Nn.TensorArgumentException>(() => cam.Embed(fbank2d));
        Assert.Throws<StepAudio.Nn.TensorArgumentException>(() => cam.Embed(noFbank));
        using var silence = zeros(100);
        Assert.Empty(tok.Encode(silence));  // under 480 samples: upstream drops it
    }

    [Fact]
    public void Missing_file_is_an_input_exception_naming_it()
    {
        var path = Path.Combine(dir, "speech_tokenizer_v1.onnx");
        var e = Assert.Throws<InputException>(() => new S3Vq06Tokenizer(path));
        Assert.Equal(path, e.File);
        Assert.Contains("not found", e.Message);
        Assert.Equal(path, Assert.Throws<InputException>(() => new CamPlusPlusOnnx(path)).File);
    }

    [Fact]
    public void Garbage_bytes_are_an_input_exception_naming_the_file()
    {
        var path = Path.Combine(dir, "campplus.onnx");
        File.WriteAllBytes(path, Enumerable.Range(0, 1000).Select(i => (byte)(i * 37 % 251)).ToArray());
        var e = Assert.Throws<InputException>(() => new CamPlusPlusOnnx(path));
        Assert.Equal(path, e.File);
        Assert.Contains("not a loadable ONNX model", e.Message);
        File.WriteAllBytes(path, []);
        Assert.Equal(path, Assert.Throws<InputException>(() => new S3Vq06Tokenizer(path)).File);
    }

    [Fact]
    public void Wrong_rank_or_wrong_model_is_an_input_exception_saying_what_was_found()
    {
        var rank2 = Fixture("tiny_vq06_rank2.onnx");
        var e = Assert.Throws<InputException>(() => new S3Vq06Tokenizer(rank2));
        Assert.Equal(rank2, e.File);
        Assert.Equal("feats", e.Field);
        Assert.Contains("is Float [128, ?]; expected Float [1, 128, ?]", e.Message);

        var cam = Fixture("tiny_campplus.onnx");
        var wrong = Assert.Throws<InputException>(() => new S3Vq06Tokenizer(cam));
        Assert.Equal(cam, wrong.File);
        Assert.Contains("1 inputs (input Float [1, ?, 80])", wrong.Message);

        var vq = Fixture("tiny_vq06.onnx");
        Assert.Contains("has 2 inputs (feats Float [1, 128, ?], feats_length Int32 [1]); expected 1 (fbank Float [1, ?, 80])", Assert.Throws<InputException>(() => new CamPlusPlusOnnx(vq)).Message);
    }
}
