using StepAudio.Vocoder;

namespace StepAudio.Bench;

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
