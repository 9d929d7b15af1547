using System.CommandLine;
using StepAudio.Config;
using StepAudio.Data;
using StepAudio.Features;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio prepare --config F</c>: validate the config's data, fill the feature cache (log-mels), then the
/// audio-token and speaker-embedding entries of the config's front end.
/// </summary>
public static class PrepareCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "YAML config", Required = true };
        var command = new Command("prepare",
            "Validate the config's train/val manifests, cache every clip's 24 kHz log-mel, fit the tiny audio tokenizer and " +
            "speaker encoder when missing, and cache every clip's audio tokens and speaker embedding (exit 1 on data errors)");
        command.Options.Add(config);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var cfg = ConfigLoader.Load(parse.GetValue(config)!.FullName);
            Console.WriteLine($"config   {cfg.SourcePath} (train_mode {cfg.TrainMode.ToString().ToLowerInvariant()})");
            var summary = FeatureExtraction.Run(cfg, p =>
            {
                if (p.Done == p.Total || p.Done % 10 == 0)
                    Console.WriteLine($"features {p.Done}/{p.Total}");
            });
            Console.WriteLine(DataReportText.Render(summary.Report));
            if (summary.Report.HasErrors) return 1;
            Console.WriteLine($"cache    {summary.CacheDirectory}: {summary.Clips} clips, {summary.Hits} cached, " +
                              $"{summary.Computed} computed, {summary.Rebuilt} rebuilt, {summary.MelFrames} mel frames " +
                              $"({summary.MelFrames / 50.0:F1} s) in {summary.Elapsed.TotalSeconds:F1} s");
            var tokens = FeatureExtraction.PrepareAudioTokens(cfg, p =>
            {
                if (p.Done == p.Total || p.Done % 10 == 0)
                    Console.WriteLine($"tokens   {p.Done}/{p.Total}");
            }, line => Console.WriteLine($"models   {line}"));
            Console.WriteLine($"tokens   {tokens.TokenizerIdentity}: {tokens.TokenizedClips} clips tokenized " +
                              $"({tokens.TokenHits} cached, {tokens.TokenComputed} computed, {tokens.TokenRebuilt} rebuilt, " +
                              $"{tokens.Tokens} tokens), {tokens.PrecomputedClips} with precomputed manifest tokens");
            Console.WriteLine($"speaker  {tokens.SpeakerEncoderIdentity}: {tokens.Clips} clips embedded " +
                              $"({tokens.EmbeddingHits} cached, {tokens.EmbeddingComputed} computed, {tokens.EmbeddingRebuilt} rebuilt) " +
                              $"in {tokens.Elapsed.TotalSeconds:F1} s");
            return 0;
        }));
        return command;
    }
}
