using System.Text.Json;

namespace StepAudio.Flow;

/// <summary>
/// The flow model's hyper-parameters under the names of upstream's <c>cosyvoice.yaml</c> (<c>flow:</c> section of
/// Step-Audio-EditX's <c>CosyVoice-300M-25Hz</c>). <see cref="StepAudioEditX"/> holds the shipped values;
/// <see cref="FromJson"/> reads the snake_case layout parity fixtures use.
/// </summary>
public sealed record FlowConfig
{
    /// <summary>Width of the dual-codebook token embedding (two halves of <c>input_size / 2</c>).</summary>
    public int InputSize { get; init; } = 512;
    /// <summary>Mel channels.</summary>
    public int OutputSize { get; init; } = 80;
    /// <summary>CAM++ speaker-embedding width.</summary>
    public int SpkEmbedDim { get; init; } = 192;
    /// <summary>Always <c>mel</c> upstream.</summary>
    public string OutputType { get; init; } = "mel";
    /// <summary>1024 vq02 codes + 1 pad + 4096 vq06 codes.</summary>
    public int VocabSize { get; init; } = 5121;
    /// <summary><c>encoder:</c> the upsampling conformer.</summary>
    public UpsampleConformerEncoderConfig Encoder { get; init; } = new();
    /// <summary><c>decoder.estimator:</c> the DiT.</summary>
    public DitConfig Estimator { get; init; } = new();
    /// <summary><c>decoder.cfm_params</c> plus the sampler's step count and the training-time prompt rule.</summary>
    public CfmConfig Cfm { get; init; } = new();

    /// <summary>The real Step-Audio-EditX flow (§3A.1 of the architecture notes): 6+4 conformer blocks, DiT depth 16.</summary>
    public static FlowConfig StepAudioEditX { get; } = new();

    /// <summary>A tiny flow with the parity fixtures' shapes, for tests, notebooks and benches on a laptop.</summary>
    public static FlowConfig Tiny { get; } = new()
    {
        InputSize = 64,
        Encoder = new() { InputSize = 64, OutputSize = 64, NumBlocks = 2, NumUpBlocks = 1, AttentionHeads = 4, LinearUnits = 128 },
        Estimator = new() { Depth = 2, NumHeads = 2, HeadDim = 32, HiddenSize = 64 },
    };

    /// <summary>A preset by name: <c>step-audio-editx</c> or <c>tiny</c>.</summary>
    public static FlowConfig Preset(string name) => name.ToLowerInvariant() switch
    {
        "step-audio-editx" or "stepaudio-editx" or "real" => StepAudioEditX,
        "tiny" => Tiny,
        _ => throw new ArgumentException($"unknown flow preset '{name}' (known: step-audio-editx, tiny)", nameof(name)),
    };

    /// <summary>
    /// Reads <c>{flow: {...}, encoder: {...}, estimator: {...}, cfm: {...}}</c> with upstream snake_case names; absent
    /// sections and keys keep the <see cref="StepAudioEditX"/> values.
    /// </summary>
    public static FlowConfig FromJson(JsonElement config)
    {
        var flow = Section(config, "flow");
        var d = new FlowConfig(); // absent keys keep these (the shipped values)
        var c = new FlowConfig
        {
            InputSize = Int(flow, "input_size", d.InputSize),
            OutputSize = Int(flow, "output_size", d.OutputSize),
            SpkEmbedDim = Int(flow, "spk_embed_dim", d.SpkEmbedDim),
            OutputType = Str(flow, "output_type", d.OutputType),
            VocabSize = Int(flow, "vocab_size", d.VocabSize),
            Encoder = UpsampleConformerEncoderConfig.FromJson(Section(config, "encoder")),
            Estimator = DitConfig.FromJson(Section(config, "estimator")),
            Cfm = CfmConfig.FromJson(Section(config, "cfm")),
        };
        return c;
    }

    internal static JsonElement Section(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var s) ? s : default;

    internal static int Int(JsonElement e, string name, int fallback) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.GetInt32() : fallback;

    internal static double Dbl(JsonElement e, string name, double fallback) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.GetDouble() : fallback;

    internal static bool Bool(JsonElement e, string name, bool fallback) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.GetBoolean() : fallback;

    internal static string Str(JsonElement e, string name, string fallback) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.GetString() ?? fallback : fallback;
}
