using StepAudio.Config;
using StepAudio.Data;
using StepAudio.Features;
using StepAudio.Tokenizers.Released;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers;

/// <summary>
/// The audio tokenizer and speaker encoder a run uses. <see cref="Create"/> picks them from the config: the released
/// model's (<see cref="StepAudioTokenizer"/> from <c>model.tokenizer.model_path</c>, <see cref="CamPlusPlusEncoder"/>
/// from <c>model.flow.model_path</c>) when the tokenizer folder is set, else the tiny pair fitted on the training clips
/// (the embedded default). Disposing it disposes both.
/// </summary>
public sealed record AudioFrontEnd(IAudioTokenizer Tokenizer, ISpeakerEncoder SpeakerEncoder) : IDisposable
{
    /// <summary>
    /// The config's front end. With <c>model.tokenizer.model_path</c>: the real tokenizer and CAM++ (a missing file is
    /// an <see cref="InputException"/> naming it and the config key that points at its folder). Without it:
    /// <see cref="TinyTokenizers.EnsureFitted"/> (fitted into <paramref name="cache"/>'s folder on first use).
    /// </summary>
    public static AudioFrontEnd Create(StepAudioConfig config, FeatureCache cache, Action<string>? log = null)
    {
        if (string.IsNullOrWhiteSpace(config.Model.Tokenizer.ModelPath))
            return TinyTokenizers.EnsureFitted(config, cache, log);
        var files = StepAudioTokenizerFiles.Locate(config);
        var campplus = CamPlusPlusFiles.Locate(config);
        var tokenizer = StepAudioTokenizer.Load(files);
        try
        {
            var speaker = new CamPlusPlusEncoder(campplus);
            log?.Invoke($"loaded {tokenizer.Identity} from {files.Root}");
            log?.Invoke($"loaded {speaker.Identity} from {campplus}");
            return new AudioFrontEnd(tokenizer, speaker);
        }
        catch
        {
            tokenizer.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        (Tokenizer as IDisposable)?.Dispose();
        (SpeakerEncoder as IDisposable)?.Dispose();
    }
}

/// <summary>Fits, stores and loads the embedded default's <see cref="TinyAudioTokenizer"/> and <see cref="TinySpeakerEncoder"/>.</summary>
public static class TinyTokenizers
{
    /// <summary>The tokenizer's file name in the cache folder.</summary>
    public const string TokenizerFileName = "tiny-audio-tokenizer.safetensors";
    /// <summary>The speaker encoder's file name in the cache folder.</summary>
    public const string SpeakerEncoderFileName = "tiny-speaker-encoder.safetensors";

    /// <summary>The tokenizer file of a cache.</summary>
    public static string TokenizerPath(FeatureCache cache) => Path.Combine(cache.Directory, TokenizerFileName);

    /// <summary>The speaker-encoder file of a cache.</summary>
    public static string SpeakerEncoderPath(FeatureCache cache) => Path.Combine(cache.Directory, SpeakerEncoderFileName);

    /// <summary>
    /// Loads the tiny tokenizer and speaker encoder from <paramref name="cache"/>'s folder; each one that is missing
    /// or unreadable is (re)fitted on the distinct prompt and target clips of <c>data.train_path</c> (log-mels from
    /// the cache, seed <c>seed</c>) and saved first. Fitting is deterministic, so a refit on unchanged data gives the
    /// same file and identity. <paramref name="log"/> hears what was loaded or fitted.
    /// </summary>
    public static AudioFrontEnd EnsureFitted(StepAudioConfig config, FeatureCache cache, Action<string>? log = null,
        TinyAudioTokenizerOptions? options = null)
    {
        var tokenizerPath = TokenizerPath(cache);
        var speakerPath = SpeakerEncoderPath(cache);
        var tokenizer = TryLoad(tokenizerPath, TinyAudioTokenizer.Load, log);
        var speaker = TryLoad(speakerPath, TinySpeakerEncoder.Load, log);
        if (tokenizer is null || speaker is null)
        {
            var trainPath = config.Data.TrainPath
                ?? throw config.Error("data.train_path", "is not set, so the tiny audio tokenizer has nothing to fit on",
                    "point it at a JSONL manifest");
            var clips = ManifestReader.Load(trainPath)
                .SelectMany(r => new[] { r.PromptAudioPath, r.TargetAudioPath })
                .Distinct(StringComparer.Ordinal).ToList();
            if (clips.Count == 0)
                throw config.Error("data.train_path", "has no records, so the tiny audio tokenizer has nothing to fit on",
                    "add training records");

            IEnumerable<Tensor> Mels()
            {
                foreach (var clip in clips)
                {
                    using var features = cache.Get(clip);
                    yield return features.Mel;
                }
            }

            try
            {
                if (tokenizer is null)
                {
                    log?.Invoke($"fitting the tiny audio tokenizer on {clips.Count} training clips");
                    var fitted = TinyAudioTokenizer.Fit(Mels(), options, config.Seed);
                    fitted.Save(tokenizerPath);
                    var f = fitted.Fitted!;
                    log?.Invoke($"fitted {fitted.Identity}: vq02 {fitted.Vq02CodebookSize} codes on {f.Vq02Frames} frames " +
                                $"({f.Vq02.Iterations} iterations, distortion {f.Vq02.InitialDistortion:F2} → {f.Vq02.Distortion:F2}), " +
                                $"vq06 {fitted.Vq06CodebookSize} codes on {f.Vq06Frames} frames ({f.Vq06.Iterations} iterations, " +
                                $"distortion {f.Vq06.InitialDistortion:F2} → {f.Vq06.Distortion:F2}) → {tokenizerPath}");
                    tokenizer = fitted;
                }
                if (speaker is null)
                {
                    log?.Invoke($"fitting the tiny speaker encoder on {clips.Count} training clips");
                    var fitted = TinySpeakerEncoder.Fit(Mels());
                    fitted.Save(speakerPath);
                    log?.Invoke($"fitted {fitted.Identity} ({fitted.Dimension}-d) → {speakerPath}");
                    speaker = fitted;
                }
            }
            catch (ArgumentException e)
            {
                throw config.Error("data.train_path", e.Message, "add longer training clips");
            }
        }
        return new AudioFrontEnd(tokenizer, speaker);
    }

    static T? TryLoad<T>(string path, Func<string, T> load, Action<string>? log) where T : class
    {
        if (!File.Exists(path)) return null;
        try
        {
            var model = load(path);
            log?.Invoke($"loaded {(model as IAudioTokenizer)?.Identity ?? (model as ISpeakerEncoder)?.Identity} from {path}");
            return model;
        }
        catch (InputException e)
        {
            log?.Invoke($"{e.File}: {e.Problem} — refitting it");
            return null;
        }
    }
}
