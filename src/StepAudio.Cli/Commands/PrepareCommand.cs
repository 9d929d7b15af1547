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
            "speaker encoder when missing (or load the real tokenizer and CAM++ from model.tokenizer.model_path / " +
            "model.flow.model_path), and cache every clip's audio tokens and speaker embedding; clips that fail are listed " +
            "together at the end (exit 1 on data errors or failed clips)");
        command.Options.Add(config);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var cfg = ConfigLoader.Load(parse.GetValue(config)!.FullName);
            Console.WriteLine($"config   {cfg.SourcePath} (train_mode {cfg.TrainMode.ToString().ToLowerInvariant()})");
            // The released tokenizer does not depend on the data, so records with errors are skipped and the rest
            // prepared; the tiny default is fitted on the train set, which must be whole first.
            bool released = !string.IsNullOrWhiteSpace(cfg.Model.Tokenizer.ModelPath);
            var summary = ClipProgress.Run("features", p => FeatureExtraction.Run(cfg, p, skipInvalidRecords: released));
            Console.WriteLine(DataReportText.Render(summary.Report));
            bool dataErrors = summary.Report.HasErrors;
            if (dataErrors && !released)
            {
                Console.Error.WriteLine("the tiny tokenizer is fitted on the whole train set: fix the errors above, then run prepare again");
                return 1;
            }
            var records = FeatureExtraction.UsableRecords(cfg, summary.Report);
            if (dataErrors)
                Console.WriteLine($"skipping the records with errors above; preparing the other {records.Count}");
            Console.WriteLine($"cache    {summary.CacheDirectory}: {summary.Clips} clips, {summary.Hits} cached, " +
                              $"{summary.Computed} computed, {summary.Rebuilt} rebuilt, {summary.MelFrames} mel frames " +
                              $"({summary.MelFrames / 50.0:F1} s) in {summary.Elapsed.TotalSeconds:F1} s");
            var tokens = ClipProgress.Run("tokens", p =>
                FeatureExtraction.PrepareAudioTokens(cfg, p, line => Console.WriteLine($"models   {line}"), records));
            Console.WriteLine($"tokens   {tokens.TokenizerIdentity}: {tokens.TokenizedClips} clips tokenized " +
                              $"({tokens.TokenHits} cached, {tokens.TokenComputed} computed, {tokens.TokenRebuilt} rebuilt, " +
                              $"{tokens.Tokens} tokens), {tokens.PrecomputedClips} with precomputed manifest tokens");
            Console.WriteLine($"speaker  {tokens.SpeakerEncoderIdentity}: {tokens.EmbeddingHits + tokens.EmbeddingComputed + tokens.EmbeddingRebuilt} targets embedded " +
                              $"({tokens.EmbeddingHits} cached, {tokens.EmbeddingComputed} computed, {tokens.EmbeddingRebuilt} rebuilt) " +
                              $"in {tokens.Elapsed.TotalSeconds:F1} s");
            if (tokens.HasErrors)
            {
                Console.Error.WriteLine($"{tokens.Errors.Count} of {tokens.Clips} clips could not be tokenized or embedded:");
                foreach (var e in tokens.Errors) Console.Error.WriteLine($"  {e.Message}");
            }
            if (dataErrors) Console.Error.WriteLine($"{summary.Report.Errors.Count} data error(s): see the report above");
            return tokens.HasErrors || dataErrors ? 1 : 0;
        }));
        return command;
    }
}
