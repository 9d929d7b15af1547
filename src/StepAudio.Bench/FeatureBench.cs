using System.Diagnostics;
using StepAudio.Audio;
using StepAudio.Features;
using static TorchSharp.torch;

namespace StepAudio.Bench;

/// <summary>
/// Times the training feature pipeline per clip (mono downmix, resample to the mel rate, matcha log-mel) on every
/// WAV in a folder and on a synthetic clip, with a fixed number of torch threads (restored afterwards). WAV decoding is not timed.
/// <c>scripts/bench-features.sh</c> compares the numbers with the same computation in PyTorch.
/// </summary>
public static class FeatureBench
{
    /// <summary>Rate of the synthetic clip: a common recording rate, so it exercises resampling.</summary>
    public const int SyntheticRate = 44100;

    /// <summary>A deterministic stereo test clip: a 100 Hz → 6 kHz chirp and a 220 Hz tone with harmonics.</summary>
    public static AudioClip SyntheticClip(double seconds, int sampleRate = SyntheticRate)
    {
        int n = (int)Math.Round(seconds * sampleRate);
        var l = new float[n];
        var r = new float[n];
        double rate = (6000.0 - 100.0) / Math.Max(seconds, 1e-9);
        for (int i = 0; i < n; i++)
        {
            double t = (double)i / sampleRate;
            l[i] = (float)(0.5 * Math.Sin(2 * Math.PI * (100 * t + 0.5 * rate * t * t)));
            r[i] = (float)(0.3 * Math.Sin(2 * Math.PI * 220 * t) + 0.1 * Math.Sin(2 * Math.PI * 660 * t));
        }
        return new AudioClip(new[] { l, r }, sampleRate);
    }

    /// <summary>
    /// Runs the bench: every <c>*.wav</c> under <paramref name="folder"/> (when it exists) and a synthetic clip of
    /// <paramref name="seconds"/>; each timed <paramref name="repeats"/> times after one warm-up, the fastest run kept
    /// (on a shared machine the minimum is the least disturbed by other processes).
    /// </summary>
    public static FeatureBenchResult Run(string? folder, double seconds, int repeats, int threads = 2,
        FeatureParams? parameters = null, Action<FeatureBenchClip>? progress = null)
    {
        if (repeats < 1) throw new ArgumentException("repeats must be at least 1");
        if (seconds <= 0) throw new ArgumentException("seconds must be positive");
        int previousThreads = get_num_threads();
        set_num_threads(threads);
        using var mel = new MelSpectrogram((parameters ?? FeatureParams.StepAudio).Mel);
        var resamplers = new Dictionary<int, Resampler>();
        var clips = new List<FeatureBenchClip>();
        var skipped = new List<string>();
        try
        {
            if (folder != null && Directory.Exists(folder))
                foreach (var path in Directory.EnumerateFiles(folder, "*.wav", SearchOption.AllDirectories)
                             .Order(StringComparer.Ordinal))
                {
                    AudioClip clip;
                    try { clip = WavFile.Read(path); }
                    catch (InputException e) { skipped.Add(e.Message); continue; }
                    var name = Path.GetRelativePath(folder, path);
                    if (TimeClip(name, clip, mel, resamplers, repeats) is { } timed)
                    {
                        clips.Add(timed);
                        progress?.Invoke(timed);
                    }
                    else skipped.Add($"{path}: shorter than one mel frame");
                }
            var synthetic = TimeClip($"synthetic {seconds:0.#} s", SyntheticClip(seconds), mel, resamplers, repeats)
                            ?? throw new ArgumentException("synthetic clip is shorter than one mel frame");
            progress?.Invoke(synthetic);
            return new FeatureBenchResult(clips, synthetic, skipped, threads, repeats);
        }
        finally
        {
            foreach (var r in resamplers.Values) r.Dispose();
            set_num_threads(previousThreads);
        }
    }

    static FeatureBenchClip? TimeClip(string name, AudioClip clip, MelSpectrogram mel, Dictionary<int, Resampler> resamplers,
        int repeats)
    {
        int target = mel.Params.SamplingRate;
        if ((long)clip.Length * target / clip.SampleRate < mel.MinSamples) return null;
        if (clip.SampleRate != target && !resamplers.ContainsKey(clip.SampleRate))
            resamplers[clip.SampleRate] = new Resampler(clip.SampleRate, target);
        var resampleMs = new double[repeats];
        var melMs = new double[repeats];
        long frames = 0;
        for (int i = -1; i < repeats; i++)   // i = -1: warm-up
        {
            var sw = Stopwatch.StartNew();
            var wav = SampleTensor.FromClip(clip);
            if (clip.SampleRate != target)
                using (var original = wav) wav = resamplers[clip.SampleRate].Apply(original);
            double t1 = sw.Elapsed.TotalMilliseconds;
            using (wav)
            using (var feats = mel.Compute(wav))
                frames = feats.shape[2];
            double t2 = sw.Elapsed.TotalMilliseconds;
            if (i < 0) continue;
            resampleMs[i] = t1;
            melMs[i] = t2 - t1;
        }
        return new FeatureBenchClip(name, clip.SampleRate, clip.Channels.Length, clip.Duration, frames,
            resampleMs.Min(), melMs.Min());
    }
}

/// <summary>
/// Best-of-N timings of one clip through the feature pipeline: <see cref="ResampleMs"/> covers the mono downmix and
/// the resampling, <see cref="MelMs"/> the log-mel.
/// </summary>
public sealed record FeatureBenchClip(string Name, int SampleRate, int Channels, double Seconds, long MelFrames,
    double ResampleMs, double MelMs)
{
    /// <summary>Resampling plus log-mel.</summary>
    public double TotalMs => ResampleMs + MelMs;
}

/// <summary>What <see cref="FeatureBench.Run"/> measured: each WAV in the folder, the synthetic clip, and what was skipped.</summary>
public sealed record FeatureBenchResult(IReadOnlyList<FeatureBenchClip> Clips, FeatureBenchClip Synthetic,
    IReadOnlyList<string> Skipped, int Threads, int Repeats)
{
    /// <summary>Mean per-clip timings over the folder's clips (null when the folder had none).</summary>
    public FeatureBenchClip? FolderMean => Clips.Count == 0 ? null : new FeatureBenchClip("folder mean",
        0, 0, Clips.Average(c => c.Seconds), (long)Clips.Average(c => c.MelFrames),
        Clips.Average(c => c.ResampleMs), Clips.Average(c => c.MelMs));
}
