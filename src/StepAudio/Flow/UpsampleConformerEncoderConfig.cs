using System.Text.Json;

namespace StepAudio.Flow;

/// <summary><c>encoder:</c> of cosyvoice.yaml (<c>UpsampleConformerEncoderV2</c>); defaults are the shipped values.</summary>
public sealed record UpsampleConformerEncoderConfig
{
    public int InputSize { get; init; } = 512;
    public int OutputSize { get; init; } = 512;
    /// <summary>Only <c>linear</c> (LinearNoSubsampling) is used upstream.</summary>
    public string InputLayer { get; init; } = "linear";
    /// <summary>Right context of the look-ahead convolution, in token frames.</summary>
    public int PreLookaheadLen { get; init; } = 3;
    public int NumBlocks { get; init; } = 6;
    public int NumUpBlocks { get; init; } = 4;
    public int UpStride { get; init; } = 2;
    public double UpScaleFactor { get; init; } = 2;
    public int AttentionHeads { get; init; } = 8;
    public int LinearUnits { get; init; } = 2048;
    /// <summary>Only <c>rel_pos_espnet</c> is used upstream.</summary>
    public string PosEncLayerType { get; init; } = "rel_pos_espnet";
    /// <summary>Only <c>rel_selfattn</c> is used upstream.</summary>
    public string SelfattentionLayerType { get; init; } = "rel_selfattn";
    public bool KeyBias { get; init; } = true;
    public double DropoutRate { get; init; } = 0.1;
    public double PositionalDropoutRate { get; init; } = 0.1;
    public double AttentionDropoutRate { get; init; } = 0.1;
    public bool NormalizeBefore { get; init; } = true;

    /// <summary>Reads the snake_case keys; absent keys keep the shipped values.</summary>
    public static UpsampleConformerEncoderConfig FromJson(JsonElement e) => new()
    {
        InputSize = FlowConfig.Int(e, "input_size", 512),
        OutputSize = FlowConfig.Int(e, "output_size", 512),
        InputLayer = FlowConfig.Str(e, "input_layer", "linear"),
        PreLookaheadLen = FlowConfig.Int(e, "pre_lookahead_len", 3),
        NumBlocks = FlowConfig.Int(e, "num_blocks", 6),
        NumUpBlocks = FlowConfig.Int(e, "num_up_blocks", 4),
        UpStride = FlowConfig.Int(e, "up_stride", 2),
        UpScaleFactor = FlowConfig.Dbl(e, "up_scale_factor", 2),
        AttentionHeads = FlowConfig.Int(e, "attention_heads", 8),
        LinearUnits = FlowConfig.Int(e, "linear_units", 2048),
        PosEncLayerType = FlowConfig.Str(e, "pos_enc_layer_type", "rel_pos_espnet"),
        SelfattentionLayerType = FlowConfig.Str(e, "selfattention_layer_type", "rel_selfattn"),
        KeyBias = FlowConfig.Bool(e, "key_bias", true),
        DropoutRate = FlowConfig.Dbl(e, "dropout_rate", 0.1),
        PositionalDropoutRate = FlowConfig.Dbl(e, "positional_dropout_rate", 0.1),
        AttentionDropoutRate = FlowConfig.Dbl(e, "attention_dropout_rate", 0.1),
        NormalizeBefore = FlowConfig.Bool(e, "normalize_before", true),
    };
}
