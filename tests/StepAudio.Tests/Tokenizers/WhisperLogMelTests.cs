using StepAudio.Tokenizers.FrontEnds;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Tests.Tokenizers;

/// <summary>
/// <see cref="WhisperLogMel.Power"/> (framing, padding modes, PocketFft) against libtorch's own <c>torch.stft</c>; only
/// within float32 FFT roundoff, since which FFT libtorch runs is exactly what Power no longer depends on.
/// </summary>
public class WhisperLogMelTests
{
    [Theory]
    [InlineData(400, 160, true, "reflect", 0)]
    [InlineData(400, 160, true, "constant", 37)]
    [InlineData(400, 160, true, "replicate", 0)]
    [InlineData(400, 160, true, "circular", 5)]
    [InlineData(400, 160, false, "reflect", 0)]
    [InlineData(75, 30, true, "reflect", 0)]
    [InlineData(154, 64, true, "reflect", 11)]
    public void Power_matches_torch_stft(int nFft, int hop, bool center, string padMode, int padding)
    {
        using var scope = NewDisposeScope();
        var options = new WhisperLogMelOptions { NFft = nFft, HopLength = hop, Center = center, PadMode = padMode, Padding = padding, NMels = 20 };
        using var mel = new WhisperLogMel(options);
        var gen = new Generator(1234);
        var audio = randn(new long[] { 4001 }, generator: gen) * 0.1f + sin(arange(4001, ScalarType.Float32) * 0.3f);

        var got = mel.Power(audio);

        var padded = padding > 0 ? nn.functional.pad(audio, new long[] { 0, padding }) : audio;
        var spec = stft(padded, nFft, hop, nFft, mel.Window, center: center, pad_mode: options.PaddingMode(), normalized: false, onesided: true, return_complex: true);
        var want = spec.narrow(-1, 0, spec.shape[^1] - 1).abs().pow(2);
        Assert.Equal(want.shape, got.shape);
        double max = want.max().item<float>(), err = (got - want).abs().max().item<float>();
        Assert.True(err <= 1e-5 * max, $"max |diff| {err:g3} vs max power {max:g3}");
    }

    [Fact]
    public void Power_keeps_too_short_check_and_last_frame_drop()
    {
        using var scope = NewDisposeScope();
        using var mel = new WhisperLogMel();
        Assert.Throws<ArgumentException>(() => mel.Power(zeros(200)));
        Assert.Equal(new long[] { 201, 1 }, mel.Power(zeros(201)).shape);
        Assert.Equal(new long[] { 201, 3 }, mel.Power(ones(480)).shape);
        var silent = mel.Power(zeros(1600));
        Assert.Equal(0f, silent.abs().max().item<float>());
    }
}
