using System.Text.Json;

namespace StepAudio.Flow;

/// <summary><c>decoder.estimator:</c> of cosyvoice.yaml (the <c>DiT</c> of decoder_dit.py); defaults are the shipped values.</summary>
public sealed record DitConfig
{
    /// <summary>x ‖ mu ‖ spks ‖ cond = 4 × 80.</summary>
    public int InChannels { get; init; } = 320;
    public int OutChannels { get; init; } = 80;
    public double MlpRatio { get; init; } = 4.0;
    public int Depth { get; init; } = 16;
    public int NumHeads { get; init; } = 8;
    public int HeadDim { get; init; } = 64;
    public int HiddenSize { get; init; } = 512;

    /// <summary>Reads the snake_case keys; absent keys keep the shipped values.</summary>
    public static DitConfig FromJson(JsonElement e)
    {
        var d = new DitConfig(); // absent keys keep these (the shipped values)
        return new()
        {
            InChannels = FlowConfig.Int(e, "in_channels", d.InChannels),
            OutChannels = FlowConfig.Int(e, "out_channels", d.OutChannels),
            MlpRatio = FlowConfig.Dbl(e, "mlp_ratio", d.MlpRatio),
            Depth = FlowConfig.Int(e, "depth", d.Depth),
            NumHeads = FlowConfig.Int(e, "num_heads", d.NumHeads),
            HeadDim = FlowConfig.Int(e, "head_dim", d.HeadDim),
            HiddenSize = FlowConfig.Int(e, "hidden_size", d.HiddenSize),
        };
    }
}
