// Mirrors no upstream twin: the vocoder interface and the factory behind model.flow.vocoder.
using StepAudio.Audio;
using StepAudio.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Vocoder;

/// <summary>
/// Turns log-mel features into a waveform. The trainer, <c>clone</c> and the notebooks use this and never care which
/// vocoder runs; <c>VocoderFactory</c> picks one from <c>model.flow.vocoder</c>.
/// </summary>
public interface IVocoder : IDisposable
{
    /// <summary>The config name of this vocoder (<c>hift</c>, <c>griffin_lim</c>).</summary>
    string Name { get; }

    /// <summary>Rate of the returned waveform in Hz.</summary>
    int SampleRate { get; }

    /// <summary>Output samples per input mel frame.</summary>
    int SamplesPerFrame { get; }

    /// <summary>Log-mel <c>[B, 80, T]</c> → waveform <c>[B, T · SamplesPerFrame]</c>, on the mel's device. No gradient.</summary>
    Tensor Synthesize(Tensor mel);
}

/// <summary>
/// Builds the vocoder named by <c>model.flow.vocoder</c>: <c>hift</c> loads <c>hift.pt</c> from
/// <c>model.flow.model_path</c>; <c>griffin_lim</c> needs no weights (the tiny default).
/// </summary>
public static class VocoderFactory
{
    /// <summary>The config name of <see cref="HiftGenerator"/>.</summary>
    public const string Hift = "hift";
    /// <summary>The config name of <see cref="GriffinLim"/>.</summary>
    public const string GriffinLimName = "griffin_lim";
    /// <summary>The file HiFT's weights are read from inside <c>model.flow.model_path</c>.</summary>
    public const string HiftFileName = "hift.pt";
    /// <summary>The config key that picks the vocoder.</summary>
    public const string Key = "model.flow.vocoder";

    /// <summary>Every accepted value of <c>model.flow.vocoder</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = [Hift, GriffinLimName];

    /// <summary>
    /// The vocoder a loaded config asks for, on the config's <c>device</c> (HiFT's weights are moved there; Griffin-Lim
    /// works on the mel's device); errors name its file and line.
    /// </summary>
    public static IVocoder Create(StepAudioConfig config, HiftConfig? hift = null, MelParams? mel = null,
        int griffinLimIterations = 32)
    {
        var device = Platform.TorchDevices.Of(config);
        var vocoder = Create(config.Model.Flow, config.SourcePath ?? "(config)", config.KeyLines, hift, mel, griffinLimIterations,
            (ulong)config.Seed);
        if (vocoder is HiftGenerator h) h.to(device);
        return vocoder;
    }

    /// <summary>
    /// The vocoder <paramref name="flow"/> asks for. <paramref name="configFile"/> and <paramref name="keyLines"/>
    /// locate errors; <paramref name="hift"/> gives HiFT's sizes (default: the shipped model) and
    /// <paramref name="mel"/> Griffin-Lim's framing (default: upstream's 24 kHz mel).
    /// </summary>
    public static IVocoder Create(FlowModelConfig flow, string configFile = "(config)",
        IReadOnlyDictionary<string, int>? keyLines = null, HiftConfig? hift = null, MelParams? mel = null,
        int griffinLimIterations = 32, ulong seed = 0)
    {
        int? Line(string key) => keyLines != null && keyLines.TryGetValue(key, out var l) ? l : null;
        switch ((flow.Vocoder ?? "").Trim())
        {
            case Hift:
                if (string.IsNullOrWhiteSpace(flow.ModelPath))
                    throw new InputException(configFile, Line(Key), Key,
                        "'hift' needs the real weights, but model.flow.model_path is empty",
                        "set model.flow.model_path to the folder holding hift.pt, or use 'griffin_lim' for the tiny model");
                var path = Path.Combine(flow.ModelPath, HiftFileName);
                if (!File.Exists(path))
                    throw new InputException(configFile, Line("model.flow.model_path"), "model.flow.model_path",
                        $"'{flow.ModelPath}' has no {HiftFileName}", "point it at the folder that holds hift.pt");
                return HiftGenerator.Load(path, hift ?? HiftConfig.StepAudioEditX, strict: true, seed: seed);
            case GriffinLimName:
                return new GriffinLim(mel, griffinLimIterations, seed: seed);
            default:
                throw new InputException(configFile, Line(Key), Key, $"unknown vocoder '{flow.Vocoder}'",
                    $"use one of: {string.Join(", ", Names)}");
        }
    }
}

/// <summary>Vocoder output as an <see cref="AudioClip"/>.</summary>
public static class VocoderClips
{
    /// <summary>The first item of <c>vocoder.Synthesize(mel)</c> (mel <c>[B, 80, T]</c>) as a mono clip.</summary>
    public static AudioClip SynthesizeClip(this IVocoder vocoder, Tensor mel)
    {
        ArgumentNullException.ThrowIfNull(vocoder);
        using var scope = NewDisposeScope();
        var wave = vocoder.Synthesize(mel)[0].to_type(ScalarType.Float32).cpu().contiguous();
        return AudioClip.Mono(wave.data<float>().ToArray(), vocoder.SampleRate);
    }
}
