using StepAudio.Audio;
using StepAudio.Tokenizers;
using StepAudio.Tokenizers.Onnx;
using StepAudio.Tokenizers.Released;
using static TorchSharp.torch;

namespace StepAudio.Tests.Tokenizers.Released;

/// <summary>The released model's speaker encoder on the tiny stand-in <c>campplus.onnx</c>.</summary>
public sealed class CamPlusPlusEncoderTests
{
    static string Fixture(string name) => Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "onnx", name);

    static TokenizerInput Input(AudioClip clip, string source = "clip.wav") => new(clip, zeros(80, 1), source);

    static float[] Tone(int sampleRate, double seconds) =>
        Enumerable.Range(0, (int)(sampleRate * seconds)).Select(i => 0.3f * MathF.Sin(2 * MathF.PI * 220 * i / sampleRate)).ToArray();

    [Fact]
    public void A_24kHz_stereo_clip_is_downmixed_and_resampled_to_16kHz_before_CAMPlusPlus()
    {
        using var encoder = new CamPlusPlusEncoder(Fixture("tiny_campplus.onnx"));
        var left = Tone(24000, 0.5);
        var right = left.Select(v => v * 0.5f).ToArray();
        var clip = new AudioClip([left, right], 24000);
        var got = encoder.Embed(Input(clip));
        Assert.Equal(192, got.Length);
        Assert.Equal(encoder.Dimension, got.Length);

        using var onnx = new CamPlusPlusOnnx(Fixture("tiny_campplus.onnx"));
        using var wav16 = tensor(Resampler.Resample(clip.ToMono(), 24000, 16000));
        Assert.Equal(onnx.EmbedWaveform(wav16), got);
    }

    [Fact]
    public void A_clip_shorter_than_one_fbank_frame_is_an_error_naming_it()
    {
        using var encoder = new CamPlusPlusEncoder(Fixture("tiny_campplus.onnx"));
        var e = Assert.Throws<InputException>(() => encoder.Embed(Input(AudioClip.Mono(Tone(16000, 0.02), 16000), "/data/short.wav")));
        Assert.Equal("/data/short.wav", e.File);
        Assert.Contains("too short for a speaker embedding", e.Problem);
    }

    [Fact]
    public void The_identity_is_the_file_hash_so_another_model_never_shares_cache_entries()
    {
        using var a = new CamPlusPlusEncoder(Fixture("tiny_campplus.onnx"));
        using var b = new CamPlusPlusEncoder(Fixture("tiny_campplus_renamed.onnx"));
        Assert.StartsWith("campplus:tiny_campplus.onnx=", a.Identity);
        Assert.NotEqual(a.Identity.Split('=')[1], b.Identity.Split('=')[1]);
        Assert.Equal(ModelFileIdentity.Hash(Fixture("tiny_campplus.onnx"))[..12], a.Identity.Split('=')[1]);
    }
}
