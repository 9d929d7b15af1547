using StepAudio.Audio;
using StepAudio.Config;

namespace StepAudio.Vocoder;

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

    /// <summary>Every accepted value of <c>model.flow.vocoder</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = [Hift, GriffinLimName];

    /// <summary>
    /// The vocoder <paramref name="flow"/> asks for. <paramref name="configFile"/> names the YAML file in errors;
    /// <paramref name="mel"/> is the feature framing (default: upstream's 24 kHz mel).
    /// </summary>
    public static IVocoder Create(FlowModelConfig flow, string configFile = "config", MelParams? mel = null,
        int griffinLimIterations = 32, ulong seed = 0)
    {
        var name = (flow.Vocoder ?? "").Trim();
        switch (name)
        {
            case Hift:
                if (string.IsNullOrWhiteSpace(flow.ModelPath))
                    throw new InputException(configFile, null, "model.flow.vocoder",
                        "'hift' needs the real weights, but model.flow.model_path is empty",
                        "set model.flow.model_path to the CosyVoice-300M-25Hz folder holding hift.pt, or use 'griffin_lim' for the tiny model");
                var path = Path.Combine(flow.ModelPath, HiftFileName);
                if (!File.Exists(path))
                    throw new InputException(configFile, null, "model.flow.model_path",
                        $"'{flow.ModelPath}' has no {HiftFileName}", "point it at the folder that holds hift.pt");
                return HiftGenerator.Load(path, HiftConfig.StepAudioEditX, strict: true, seed: seed);
            case GriffinLimName:
                return new GriffinLim(mel, griffinLimIterations, seed: seed);
            default:
                throw new InputException(configFile, null, "model.flow.vocoder", $"unknown vocoder '{flow.Vocoder}'",
                    $"use one of: {string.Join(", ", Names)}");
        }
    }
}
