using System.CommandLine;
using System.Globalization;
using StepAudio.Audio;
using StepAudio.Bench;
using StepAudio.Data;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio bench-prosody [--dir D] [--repeats N]</c>: pitch accuracy on tones of known F0, agreement and speed on
/// real WAVs, and silence trimming, ours against NWaves (see <see cref="ProsodyBench"/>).
/// </summary>
public static class BenchProsodyCommand
{
    public static Command Create()
    {
        var dir = new Option<DirectoryInfo>("--dir") { Description = "Folder of WAV files (searched recursively)", DefaultValueFactory = _ => new DirectoryInfo("data-samples") };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per clip (fastest kept), after one warm-up", DefaultValueFactory = _ => 3 };
        var command = new Command("bench-prosody", "Measure pitch estimators (ours, NWaves YIN and autocorrelation) and silence trimming");
        command.Options.Add(dir);
        command.Options.Add(repeats);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            BenchMachine.Print();
            var inv = CultureInfo.InvariantCulture;
            int n = Math.Max(1, parse.GetValue(repeats));
            Console.WriteLine($"Synthetic 2 s tones at 24 kHz; gross = more than {ProsodyBench.GrossCents} cents off");
            Console.WriteLine($"{"method",-11} {"case",-28} {"judged",6} {"missed",6} {"gross",6} {"cents",6}");
            var totals = ProsodyBench.Methods.ToDictionary(m => m, _ => (Judged: 0, Missed: 0, Gross: 0, Cents: 0.0, Fine: 0));
            foreach (var harmonic in new[] { false, true })
            foreach (var snr in new[] { double.PositiveInfinity, 20.0, 10.0 })
            foreach (var f0 in new[] { 80.0, 110, 150, 220, 300, 400 })
            foreach (var m in ProsodyBench.Methods)
            {
                var s = ProsodyBench.Score(m, f0, harmonic, vibrato: harmonic, snr);
                var name = string.Format(inv, "{0} {1} Hz {2}", harmonic ? "harm+vib" : "sine", f0,
                    double.IsPositiveInfinity(snr) ? "clean" : $"snr {snr} dB");
                Console.WriteLine(string.Format(inv, "{0,-11} {1,-28} {2,6} {3,6} {4,6} {5,6:F1}", m, name, s.Judged, s.Missed, s.Gross, s.MeanCents));
                var t = totals[m];
                int fine = s.Judged - s.Missed - s.Gross;
                totals[m] = (t.Judged + s.Judged, t.Missed + s.Missed, t.Gross + s.Gross,
                    t.Cents + (fine > 0 ? s.MeanCents * fine : 0), t.Fine + fine);
            }
            var tone = AudioClip.Mono(ProsodyBench.Tone(150, 10, true, true, 20).Samples, 24000);
            foreach (var m in ProsodyBench.Methods)
            {
                var t = totals[m];
                Console.WriteLine(string.Format(inv,
                    "RESULT tones method={0} frames={1} missed={2:P1} gross={3:P1} mean_cents={4:F1} noise_voiced={5:P1} ms_per_10s={6:F1}",
                    m, t.Judged, (double)t.Missed / t.Judged, (double)t.Gross / t.Judged, t.Cents / Math.Max(1, t.Fine),
                    ProsodyBench.NoiseVoicedShare(m), ProsodyBench.MsPer10s(m, tone, n)));
            }

            var folder = parse.GetValue(dir)!.FullName;
            var wavs = Directory.Exists(folder)
                ? Directory.EnumerateFiles(folder, "*.wav", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList()
                : new List<string>();
            Console.WriteLine($"Real clips in {folder}: {wavs.Count}; gross = voiced by both and more than {ProsodyBench.GrossCents} cents from ours");
            var sums = ProsodyBench.Methods.ToDictionary(m => m, _ => (Voiced: 0.0, Gross: 0.0, Ms: 0.0, Clips: 0));
            var silence = new List<string>();
            foreach (var path in wavs)
            {
                AudioClip clip;
                try { clip = WavFile.Read(path); }
                catch (InputException e) { Console.WriteLine("skipped: " + e.Message); continue; }
                var name = Path.GetRelativePath(folder, path);
                foreach (var (m, voiced, gross, ms) in ProsodyBench.OnClip(clip, n))
                {
                    Console.WriteLine(string.Format(inv, "{0,-40} {1,-11} voiced {2,5:P0} gross {3,5:P1} {4,7:F1} ms/10 s", name, m, voiced, gross, ms));
                    var s = sums[m];
                    sums[m] = (s.Voiced + voiced, s.Gross + (double.IsNaN(gross) ? 0 : gross), s.Ms + ms, s.Clips + 1);
                }
                var ours = AudioClipStats.Measure(path);
                var (lead, trail) = ProsodyBench.FrameRmsSilence(clip);
                silence.Add(string.Format(inv, "{0,-40} lead {1:F3} / {2:F3} s  trail {3:F3} / {4:F3} s", name, ours.LeadingSilence, lead, ours.TrailingSilence, trail));
            }
            foreach (var (m, s) in sums.Where(kv => kv.Value.Clips > 0))
                Console.WriteLine(string.Format(inv, "RESULT clips method={0} clips={1} voiced={2:P1} gross_vs_ours={3:P1} ms_per_10s={4:F1}",
                    m, s.Clips, s.Voiced / s.Clips, s.Gross / s.Clips, s.Ms / s.Clips));

            Console.WriteLine("Silence: ours (per-sample level) / frame RMS (NWaves DiscreteSignal.Rms, 20 ms), both at -50 dBFS");
            foreach (var line in silence) Console.WriteLine(line);
            var tmp = Path.Combine(Path.GetTempPath(), $"bench-prosody-{Environment.ProcessId}.wav");
            try
            {
                foreach (var (name, clip, lead, trail) in ProsodyBench.SilenceCases())
                {
                    WavFile.Write(tmp, clip, WavSampleFormat.Float, 32);
                    var ours = AudioClipStats.Measure(tmp);
                    var (fl, ft) = ProsodyBench.FrameRmsSilence(clip);
                    Console.WriteLine(string.Format(inv, "{0,-40} lead {1:F3} / {2:F3} s  trail {3:F3} / {4:F3} s  (true {5:F3} / {6:F3})",
                        name, ours.LeadingSilence, fl, ours.TrailingSilence, ft, lead, trail));
                }
            }
            finally { File.Delete(tmp); }
            return 0;
        }));
        return command;
    }
}
