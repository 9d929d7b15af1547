using System.Diagnostics;
using StepAudio.Vocoder;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Bench;

/// <summary>
/// Real-time factors of the two vocoders on the same log-mel: HiFT at the shipped size (random weights: speed does
/// not depend on their values) and Griffin-Lim. Used by <c>stepaudio bench-vocoder</c>.
/// </summary>
public static class VocoderBench
{
    /// <summary>
    /// Times HiFT and Griffin-Lim (<paramref name="griffinLimIterations"/>) on <paramref name="seconds"/> of
    /// 24 kHz mel with <paramref name="threads"/> torch threads, one warm-up call then <paramref name="repeats"/>
    /// timed calls each. <paramref name="log"/> receives progress lines.
    /// </summary>
    public static IReadOnlyList<VocoderBenchResult> Run(double seconds = 10, int threads = 2, int griffinLimIterations = 32,
        int repeats = 3, Action<string>? log = null)
    {
        if (seconds <= 0 || threads < 1 || repeats < 1 || griffinLimIterations < 0)
            throw new ArgumentException("bench-vocoder: seconds > 0, threads ≥ 1, repeats ≥ 1 and iterations ≥ 0 are required");
        set_num_threads(threads);
        using var hift = new HiftGenerator(HiftConfig.StepAudioEditX, seed: 1);
        using var gl = new GriffinLim(iterations: griffinLimIterations, seed: 1);
        int frames = (int)Math.Round(seconds * hift.SampleRate / hift.SamplesPerFrame);
        using var gen = new Generator(0);
        // A plausible log-mel level (speech sits around -6..0); the values do not change the work done.
        using var mel = randn([1, hift.Config.InChannels, frames], generator: gen).mul_(1.5).sub_(5);
        double audio = (double)frames * hift.SamplesPerFrame / hift.SampleRate;
        var results = new List<VocoderBenchResult>
        {
            Time(hift, mel, $"HiFT base_channels {hift.Config.BaseChannels}", audio, repeats, threads, log),
            Time(gl, mel, $"Griffin-Lim {griffinLimIterations} iterations", audio, repeats, threads, log),
        };
        return results;
    }

    static VocoderBenchResult Time(IVocoder vocoder, Tensor mel, string detail, double audio, int repeats, int threads,
        Action<string>? log)
    {
        var runs = new List<(double Wall, double Cpu)>();
        using var process = Process.GetCurrentProcess();
        for (int i = 0; i <= repeats; i++)
        {
            using var scope = NewDisposeScope();
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            var wav = vocoder.Synthesize(mel);
            _ = wav.sum().item<float>(); // forces completion on asynchronous devices
            sw.Stop();
            process.Refresh();
            double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
            if (i > 0) runs.Add((sw.Elapsed.TotalSeconds, cpu));
            log?.Invoke($"{vocoder.Name} {(i == 0 ? "warm-up" : $"run {i}")}: {sw.Elapsed.TotalSeconds:F3} s wall, {cpu:F3} s cpu");
        }
        var median = runs.OrderBy(r => r.Wall).ElementAt(runs.Count / 2);
        return new VocoderBenchResult(vocoder.Name, detail, audio, median.Wall, median.Cpu, repeats, threads);
    }
}

/// <summary>
/// One vocoder's timing: seconds of compute per call (median of <see cref="Repeats"/> after one warm-up) for
/// <see cref="AudioSeconds"/> of output; <see cref="RealTimeFactor"/> = compute / audio (below 1 is faster than real time).
/// <see cref="CpuSeconds"/> is the process CPU time of the same call (all threads), which a busy machine inflates less.
/// </summary>
public sealed record VocoderBenchResult(string Vocoder, string Detail, double AudioSeconds, double ComputeSeconds,
    double CpuSeconds, int Repeats, int Threads)
{
    /// <summary>Compute time divided by audio duration.</summary>
    public double RealTimeFactor => ComputeSeconds / AudioSeconds;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Vocoder,-12} {Detail,-36} audio {AudioSeconds:F1} s  compute {ComputeSeconds:F3} s  RTF {RealTimeFactor:F4}  " +
        $"cpu {CpuSeconds:F3} s  (median of {Repeats}, {Threads} threads)";
}
