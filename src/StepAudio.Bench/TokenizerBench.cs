using System.Diagnostics;
using StepAudio.Tokenizers.FrontEnds;
using StepAudio.Tokenizers.Onnx;
using StepAudio.Tokenizers.Paraformer;
using static TorchSharp.torch;

namespace StepAudio.Bench;

/// <summary>One timed part: the fastest of the runs, for <see cref="Seconds"/> of audio.</summary>
public sealed record TokenizerBenchRow(string Name, double Seconds, double Ms)
{
    /// <summary>Real-time factor: compute time / audio time (lower is faster).</summary>
    public double Rtf => Ms / 1000 / Seconds;
}

/// <summary>
/// Times the audio tokenizer's parts on a 16 kHz clip: CAM++'s Kaldi fbank, the offline Paraformer front end (fbank +
/// LFR 7/6 + CMVN), the whisper log-mel of vq06, the vq02 streaming SANM encoder at the real size (random weights,
/// 4-frame chunks with the 5-frame overlap and look-back 4, as tokenizer.py runs it) and the ONNX models.
/// <c>scripts/bench-tokenizer.sh</c> sets these beside PyTorch/torchaudio.
/// </summary>
public static class TokenizerBench
{
    /// <summary>The real Paraformer-large streaming encoder (Step-Audio-Tokenizer's FunASR config.yaml).</summary>
    public static ParaformerEncoderConfig RealEncoder(int blocks) => new()
    {
        InputSize = 560, OutputSize = 512, AttentionHeads = 4, LinearUnits = 2048, NumBlocks = blocks, KernelSize = 11,
        NormalizeBefore = true,
    };

    /// <summary>A deterministic speech-band test signal: a 120 → 400 Hz glide with harmonics and a little noise.</summary>
    public static float[] Clip16k(double seconds)
    {
        int n = (int)Math.Round(seconds * 16000);
        var rng = new Random(7);
        var x = new float[n];
        double phase = 0;
        for (int i = 0; i < n; i++)
        {
            double f0 = 120 + 280 * (0.5 + 0.5 * Math.Sin(2 * Math.PI * 0.3 * i / 16000.0));
            phase += 2 * Math.PI * f0 / 16000;
            x[i] = (float)(0.3 * Math.Sin(phase) + 0.1 * Math.Sin(2 * phase) + 0.05 * Math.Sin(3 * phase) + 0.01 * (rng.NextDouble() - 0.5));
        }
        return x;
    }

    /// <summary>Runs every part on <paramref name="wav16k"/>; each timed <paramref name="repeats"/> times after a warm-up.</summary>
    public static IReadOnlyList<TokenizerBenchRow> Run(float[] wav16k, int repeats, int threads, int blocks,
        string vq06Onnx, string campplusOnnx, Action<TokenizerBenchRow>? progress = null)
    {
        if (repeats < 1) throw new ArgumentException("repeats must be at least 1");
        int previous = get_num_threads();
        set_num_threads(threads);
        double seconds = wav16k.Length / 16000.0;
        var rows = new List<TokenizerBenchRow>();
        void Time(string name, Action run)
        {
            var row = new TokenizerBenchRow(name, seconds, BestMs(run, repeats));
            rows.Add(row);
            progress?.Invoke(row);
        }
        try
        {
            using var _ = no_grad();
            using var wav = tensor(wav16k);
            Time("campplus_fbank", () => { using var f = SpeechFrontEnds.CamPlusPlus(wav, SpeechFrontEnds.CamPlusPlusOptions); });
            using var cmvn = rand(2, 560) + 0.5;
            var paraformer = new KaldiFbankOptions { NumMelBins = 80, Dither = 0, WindowType = "hamming", EnergyFloor = 0 };
            Time("paraformer_frontend", () => { using var f = SpeechFrontEnds.Paraformer(wav, paraformer, 7, 6, cmvn); });
            using (var logMel = new WhisperLogMel())
                Time("whisper_logmel", () => { using var f = logMel.Compute(wav); });

            manual_seed(0);
            using var encoder = new SanmEncoderChunkOpt(RealEncoder(blocks));
            encoder.eval();
            long lfrFrames = wav16k.Length < 400 ? 0 : (long)Math.Ceiling((wav16k.Length - 400) / 160.0 / 6);
            using var feats = randn(1, lfrFrames, 560);
            var streaming = Vq02StreamingOptions.Upstream;
            Time("vq02_encoder", () =>
            {
                using var scope = NewDisposeScope();
                using var state = new SanmStreamState(560, streaming.ChunkSize, streaming.EncoderChunkLookBack);
                int step = streaming.ChunkSize[1];
                for (long c = 0; c < lfrFrames; c += step)
                    encoder.ForwardChunk(feats.narrow(1, c, Math.Min(step, lfrFrames - c)), state);
            });

            using (var vq06 = new S3Vq06Tokenizer(vq06Onnx))
                Time($"vq06_onnx({Path.GetFileName(vq06Onnx)})", () => vq06.Encode(wav));
            using (var cam = new CamPlusPlusOnnx(campplusOnnx))
                Time($"campplus_onnx({Path.GetFileName(campplusOnnx)})", () => cam.EmbedWaveform(wav));
        }
        finally
        {
            set_num_threads(previous);
        }
        return rows;
    }

    static double BestMs(Action run, int repeats)
    {
        run();
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            run();
            best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
        }
        return best;
    }
}
