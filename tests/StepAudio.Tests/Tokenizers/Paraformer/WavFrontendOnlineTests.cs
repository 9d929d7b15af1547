using StepAudio.Tokenizers.FrontEnds;
using StepAudio.Tokenizers.Paraformer;
using static TorchSharp.torch;

namespace StepAudio.Tests.Tokenizers.Paraformer;

/// <summary>
/// The streaming front end against the offline one (<see cref="SpeechFrontEnds.Paraformer"/>, itself checked by the
/// kaldi_fbank parity fixture), on 3840-sample pieces as infer_encoder feeds it.
/// </summary>
public sealed class WavFrontendOnlineTests
{
    static readonly WavFrontendOnlineOptions Options = new(new KaldiFbankOptions { NumMelBins = 80, WindowType = "hamming", EnergyFloor = 0 }, 7, 6);
    const int Stride = 3840;

    static float[] Signal(int n)
    {
        var rng = new Random(7);
        return Enumerable.Range(0, n).Select(i => (float)(0.3 * Math.Sin(2 * Math.PI * 220 * i / 16000.0) + 0.01 * (rng.NextDouble() - 0.5))).ToArray();
    }

    static List<Tensor> Stream(float[] wav)
    {
        using var frontEnd = new WavFrontendOnline(Options, cmvn: null);
        var pieces = new List<Tensor>();
        int n = wav.Length / Stride + 1;
        for (int i = 0; i < n; i++)
        {
            int start = i * Stride, length = Math.Min(Stride, wav.Length - start);
            if (i == n - 1 && length == 0) break;
            if (frontEnd.Accept(wav.AsSpan(start, length), i == n - 1) is { } feats) pieces.Add(feats);
        }
        return pieces;
    }

    static Tensor Offline(float[] wav) => Lfr.Apply(KaldiFbank.Compute(tensor(wav) * 32768.0, Options.Fbank), 7, 6);

    [Fact]
    public void FinalPieceTooShortForAnLfrFrameEmitsNothing()
    {
        using var scope = NewDisposeScope();
        // 3840 samples give 22 fbank rows and 4 LFR frames, leaving 1 row in the splice cache; 500 more samples add 3
        // rows: 1 + 3 < lfr_m 7, so upstream emits nothing for the final piece. Offline, 25 rows give ceil(25/6) = 5.
        var wav = Signal(Stride + 500);
        var pieces = Stream(wav);
        var offline = Offline(wav);
        Assert.Single(pieces);
        Assert.Equal(4, pieces[0].shape[0]);
        Assert.Equal(5, offline.shape[0]);
        Assert.True(pieces[0].allclose(offline.narrow(0, 0, 4), rtol: 1e-5, atol: 1e-4));
    }

    [Fact]
    public void LongEnoughFinalPieceIsPaddedLikeOffline()
    {
        using var scope = NewDisposeScope();
        // 2 full pieces, then 1500 samples: the final window is padded with the last row, as offline.
        var wav = Signal(2 * Stride + 1500);
        var pieces = Stream(wav);
        var offline = Offline(wav);
        Assert.Equal(new long[] { 4, 4, 2 }, pieces.Select(p => p.shape[0]).ToArray());
        var streamed = cat(pieces, 0);
        Assert.Equal(offline.shape, streamed.shape);
        Assert.True(streamed.allclose(offline, rtol: 1e-5, atol: 1e-4));
    }

    [Fact]
    public void PieceWithoutAFbankFrameFlushesNothingWhenTheCacheIsShort()
    {
        using var scope = NewDisposeScope();
        // 3840 + 100 samples: the final piece (100 + 320 cached samples) adds one fbank row; 1 + 1 < 7 → nothing.
        // Then a lone 100-sample final piece after a fresh start gives no fbank row at all → nothing.
        Assert.Single(Stream(Signal(Stride + 100)));
        Assert.Empty(Stream(Signal(100)));
    }
}
