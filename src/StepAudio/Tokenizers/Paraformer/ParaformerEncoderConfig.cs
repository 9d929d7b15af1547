using System.Text.Json;

namespace StepAudio.Tokenizers.Paraformer;

/// <summary>
/// The hyper-parameters of FunASR's <c>SANMEncoderChunkOpt</c> (funasr_detach/models/scama/encoder.py) under their
/// <c>encoder_conf</c> names. Defaults are the upstream constructor's. The training-time mask entries (chunk_size,
/// stride, look-back factors) do not affect <c>forward_chunk</c> and are not kept.
/// </summary>
public sealed record ParaformerEncoderConfig
{
    /// <summary>Feature width fed to <c>encoders0</c> (n_mels · lfr_m, 560 for the real model).</summary>
    public int InputSize { get; init; }
    /// <summary>Model width d (512 real).</summary>
    public int OutputSize { get; init; } = 256;
    public int AttentionHeads { get; init; } = 4;
    /// <summary>Feed-forward hidden width.</summary>
    public int LinearUnits { get; init; } = 2048;
    /// <summary>All blocks: 1 in <c>encoders0</c> plus <c>num_blocks − 1</c> in <c>encoders</c>.</summary>
    public int NumBlocks { get; init; } = 6;
    /// <summary>FSMN (depthwise conv) kernel.</summary>
    public int KernelSize { get; init; } = 11;
    /// <summary>Extra left padding of the FSMN (upstream spells it <c>sanm_shfit</c>).</summary>
    public int SanmShift { get; init; }
    public bool NormalizeBefore { get; init; } = true;

    /// <summary>Checks the sizes; problems are <see cref="InputException"/>s naming <paramref name="source"/>.</summary>
    public void Validate(string source)
    {
        void Require(bool ok, string key, string what)
        {
            if (!ok) throw new InputException(source, null, "encoder_conf." + key, what, "use the config.yaml shipped with the model");
        }
        Require(InputSize >= 1, "input_size", $"must be ≥ 1 (got {InputSize})");
        Require(OutputSize >= 1, "output_size", $"must be ≥ 1 (got {OutputSize})");
        Require(AttentionHeads >= 1 && OutputSize % AttentionHeads == 0, "attention_heads",
            $"{AttentionHeads} heads do not divide output_size {OutputSize}");
        Require(LinearUnits >= 1, "linear_units", $"must be ≥ 1 (got {LinearUnits})");
        Require(NumBlocks >= 1, "num_blocks", $"must be ≥ 1 (got {NumBlocks})");
        Require(KernelSize >= 1, "kernel_size", $"must be ≥ 1 (got {KernelSize})");
        Require(SanmShift >= 0 && SanmShift <= KernelSize - 1 - (KernelSize - 1) / 2, "sanm_shfit",
            $"{SanmShift} leaves a negative right padding for kernel {KernelSize}");
    }

    /// <summary>
    /// Reads an <c>encoder_conf</c> object. <paramref name="inputSize"/> (n_mels · lfr_m from <c>frontend_conf</c>, as
    /// FunASR's AutoModel passes it) is used when the object has no <c>input_size</c>, and must agree when it has one.
    /// Only the streaming SANM variant upstream's tokenizer runs is accepted: <c>input_layer: pe_online</c>,
    /// <c>selfattention_layer_type: sanm</c>, no <c>concat_after</c>, a linear feed-forward.
    /// </summary>
    public static ParaformerEncoderConfig FromJson(JsonElement conf, string source, int? inputSize = null)
    {
        if (conf.ValueKind != JsonValueKind.Object)
            throw new InputException(source, null, "encoder_conf", "is not a mapping", "use the config.yaml shipped with the model");
        var d = new ParaformerEncoderConfig();
        int stored = ConfigValues.Int(conf, source, "encoder_conf", "input_size", inputSize ?? -1);
        if (inputSize is { } fromFrontEnd && stored != fromFrontEnd)
            throw new InputException(source, null, "encoder_conf.input_size",
                $"is {stored} but frontend_conf gives n_mels · lfr_m = {fromFrontEnd}", "remove encoder_conf.input_size");
        if (stored < 0)
            throw new InputException(source, null, "encoder_conf.input_size", "is missing (and no frontend_conf gives n_mels · lfr_m)",
                "add frontend_conf (n_mels, lfr_m) or encoder_conf.input_size");
        RequireText(conf, source, "input_layer", "conv2d", "pe_online",
            "only the streaming position encoder (pe_online) that ParaformerStreaming's forward_chunk uses is ported");
        RequireText(conf, source, "selfattention_layer_type", "sanm", "sanm", "only SANM self-attention is ported");
        RequireText(conf, source, "positionwise_layer_type", "linear", "linear", "only the linear feed-forward is ported");
        if (ConfigValues.Bool(conf, source, "encoder_conf", "concat_after", false))
            throw new InputException(source, null, "encoder_conf.concat_after", "true is not supported", "only concat_after: false is ported");
        var c = new ParaformerEncoderConfig
        {
            InputSize = stored,
            OutputSize = ConfigValues.Int(conf, source, "encoder_conf", "output_size", d.OutputSize),
            AttentionHeads = ConfigValues.Int(conf, source, "encoder_conf", "attention_heads", d.AttentionHeads),
            LinearUnits = ConfigValues.Int(conf, source, "encoder_conf", "linear_units", d.LinearUnits),
            NumBlocks = ConfigValues.Int(conf, source, "encoder_conf", "num_blocks", d.NumBlocks),
            KernelSize = ConfigValues.Int(conf, source, "encoder_conf", "kernel_size", d.KernelSize),
            SanmShift = ConfigValues.Int(conf, source, "encoder_conf", "sanm_shfit", d.SanmShift),
            NormalizeBefore = ConfigValues.Bool(conf, source, "encoder_conf", "normalize_before", d.NormalizeBefore),
        };
        c.Validate(source);
        return c;
    }

    static void RequireText(JsonElement conf, string source, string key, string upstreamDefault, string supported, string why)
    {
        var value = ConfigValues.Text(conf, source, "encoder_conf", key, upstreamDefault);
        if (value != supported)
            throw new InputException(source, null, "encoder_conf." + key,
                $"'{value}'{(conf.TryGetProperty(key, out _) ? "" : " (upstream's default)")} is not supported", $"{why}: use {supported}");
    }
}
