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
    public static UpsampleConformerEncoderConfig FromJson(JsonElement e)
    {
        var d = new UpsampleConformerEncoderConfig(); // absent keys keep these (the shipped values)
        return new()
        {
            InputSize = FlowConfig.Int(e, "input_size", d.InputSize),
            OutputSize = FlowConfig.Int(e, "output_size", d.OutputSize),
            InputLayer = FlowConfig.Str(e, "input_layer", d.InputLayer),
            PreLookaheadLen = FlowConfig.Int(e, "pre_lookahead_len", d.PreLookaheadLen),
            NumBlocks = FlowConfig.Int(e, "num_blocks", d.NumBlocks),
            NumUpBlocks = FlowConfig.Int(e, "num_up_blocks", d.NumUpBlocks),
            UpStride = FlowConfig.Int(e, "up_stride", d.UpStride),
            UpScaleFactor = FlowConfig.Dbl(e, "up_scale_factor", d.UpScaleFactor),
            AttentionHeads = FlowConfig.Int(e, "attention_heads", d.AttentionHeads),
            LinearUnits = FlowConfig.Int(e, "linear_units", d.LinearUnits),
            PosEncLayerType = FlowConfig.Str(e, "pos_enc_layer_type", d.PosEncLayerType),
            SelfattentionLayerType = FlowConfig.Str(e, "selfattention_layer_type", d.SelfattentionLayerType),
            KeyBias = FlowConfig.Bool(e, "key_bias", d.KeyBias),
            DropoutRate = FlowConfig.Dbl(e, "dropout_rate", d.DropoutRate),
            PositionalDropoutRate = FlowConfig.Dbl(e, "positional_dropout_rate", d.PositionalDropoutRate),
            AttentionDropoutRate = FlowConfig.Dbl(e, "attention_dropout_rate", d.AttentionDropoutRate),
            NormalizeBefore = FlowConfig.Bool(e, "normalize_before", d.NormalizeBefore),
        };
    }
}
