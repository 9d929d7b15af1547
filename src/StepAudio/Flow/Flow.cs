// Mirrors stepvocoder/cosyvoice2/flow/flow.py (CausalMaskedDiffWithXvec), with its config, batch and loss records and utils/mask.py.
using System.Text.Json;
using System.Text.Json.Nodes;
using StepAudio.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

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

    /// <summary>The real Step-Audio-EditX flow (CosyVoice-300M-25Hz/cosyvoice.yaml of the released model): 6+4 conformer blocks, DiT depth 16.</summary>
    public static FlowConfig StepAudioEditX { get; } = new();

    /// <summary>A tiny flow with the parity fixtures' shapes, for tests, notebooks and benches on a laptop.</summary>
    public static FlowConfig Tiny { get; } = new()
    {
        InputSize = 64,
        Encoder = new() { InputSize = 64, OutputSize = 64, NumBlocks = 2, NumUpBlocks = 1, AttentionHeads = 4, LinearUnits = 128 },
        Estimator = new() { Depth = 2, NumHeads = 2, HeadDim = 32, HiddenSize = 64 },
    };

    /// <summary>The names <see cref="Preset"/> knows (and <c>model.flow.preset</c> accepts).</summary>
    public static IReadOnlyList<string> PresetNames { get; } = ["step-audio-editx", "tiny"];

    /// <summary>A preset by one of the <see cref="PresetNames"/>.</summary>
    public static FlowConfig Preset(string name) => name switch
    {
        "step-audio-editx" => StepAudioEditX,
        "tiny" => Tiny,
        _ => throw new ArgumentException($"unknown flow preset '{name}' (known: {string.Join(", ", PresetNames)})", nameof(name)),
    };

    /// <summary>
    /// Reads <c>{flow: {...}, encoder: {...}, estimator: {...}, cfm: {...}}</c> with upstream snake_case names (the
    /// parity fixtures' layout); absent sections and keys keep the <see cref="StepAudioEditX"/> values.
    /// </summary>
    public static FlowConfig FromJson(JsonElement config)
    {
        T Read<T>(string section) where T : new() =>
            config.ValueKind == JsonValueKind.Object && config.TryGetProperty(section, out var s) ? s.Deserialize<T>(SnakeCase)! : new T();
        return Read<FlowConfig>("flow") with
        {
            Encoder = Read<UpsampleConformerEncoderConfig>("encoder"),
            Estimator = Read<DitConfig>("estimator"),
            Cfm = Read<CfmConfig>("cfm"),
        };
    }

    /// <summary>The same layout <see cref="FromJson"/> reads: the flow's own keys under <c>flow</c>, each part in its section.</summary>
    public JsonObject ToJson()
    {
        var flow = JsonSerializer.SerializeToNode(this, SnakeCase)!.AsObject();
        var root = new JsonObject();
        foreach (var section in new[] { "encoder", "estimator", "cfm" })
        {
            root[section] = flow[section]!.DeepClone();
            flow.Remove(section);
        }
        root["flow"] = flow;
        return root;
    }

    static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}

/// <summary>
/// A padded training batch for the flow (CosyVoice batch names): <paramref name="SpeechToken"/> [B, T, 2] dual frames
/// (padding any value; it is masked), <paramref name="SpeechTokenLen"/> [B], <paramref name="SpeechFeat"/> [B, T_mel, 80]
/// log-mel at 2 frames per dual frame, <paramref name="SpeechFeatLen"/> [B], <paramref name="Embedding"/> [B, 192]
/// CAM++ speaker embeddings.
/// </summary>
public sealed record FlowBatch(Tensor SpeechToken, Tensor SpeechTokenLen, Tensor SpeechFeat, Tensor SpeechFeatLen,
    Tensor Embedding);

/// <summary>
/// The result of <see cref="CausalMaskedDiffWithXvec.ComputeLoss"/>: the scalar <paramref name="Loss"/>, the
/// estimator's <paramref name="Pred"/> and target <paramref name="U"/> [B, 80, T], and the frame
/// <paramref name="Mask"/> [B, 1, T] the loss covered.
/// </summary>
public sealed record FlowLoss(Tensor Loss, Tensor Pred, Tensor U, Tensor Mask);

/// <summary>Length masks as upstream's <c>~make_pad_mask(lengths, T)</c>.</summary>
public static class FlowMasks
{
    /// <summary>[B, T] bool, true where t &lt; lengths[b].</summary>
    public static Tensor Valid(Tensor lengths, long maxLen)
    {
        using var scope = NewDisposeScope();
        var t = arange(maxLen, ScalarType.Int64, lengths.device).unsqueeze(0);
        return t.lt(lengths.to_type(ScalarType.Int64).unsqueeze(1)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The Step-Audio-EditX flow model (stepvocoder/cosyvoice2/flow/flow.py <c>CausalMaskedDiffWithXvec</c>): dual-codebook
/// tokens → <see cref="UpsampleConformerEncoderV2"/> → <c>encoder_proj</c> → mu at 2 mel frames per dual frame; the
/// L2-normalised speaker embedding → <c>spk_embed_affine_layer</c>; <see cref="CausalConditionalCfm"/> turns them into
/// 80-bin log-mel. Field names equal upstream's, so <c>state_dict()</c> keys equal those of <c>flow.pt</c>.
/// </summary>
public sealed partial class CausalMaskedDiffWithXvec : nn.Module
{
#pragma warning disable IDE1006
    public readonly DualCodebookEmbedding input_embedding;
    public readonly Linear spk_embed_affine_layer;
    public readonly UpsampleConformerEncoderV2 encoder;
    public readonly Linear encoder_proj;
    public readonly CausalConditionalCfm decoder;
#pragma warning restore IDE1006
    Parameter[]? encoderSideParameters;   // input_embedding, encoder, encoder_proj: fixed objects, read every step

    /// <summary>Builds the model with freshly initialised weights (load a checkpoint with <see cref="FlowCheckpoint"/>).</summary>
    public CausalMaskedDiffWithXvec(FlowConfig config) : base(nameof(CausalMaskedDiffWithXvec))
    {
        Config = config;
        input_embedding = new DualCodebookEmbedding(config.VocabSize, config.InputSize);
        spk_embed_affine_layer = nn.Linear(config.SpkEmbedDim, config.OutputSize);
        encoder = new UpsampleConformerEncoderV2(config.Encoder);
        encoder_proj = nn.Linear(config.Encoder.OutputSize, config.OutputSize);
        decoder = new CausalConditionalCfm(config.Estimator, config.Cfm);
        RegisterComponents();
    }

    /// <summary>The configuration this model was built from.</summary>
    public FlowConfig Config { get; }

    /// <summary>The token encoder.</summary>
    public UpsampleConformerEncoderV2 Encoder => encoder;

    /// <summary>The flow-matching decoder.</summary>
    public CausalConditionalCfm Decoder => decoder;

    /// <summary>spks = spk_embed_affine_layer(F.normalize(embedding, dim=1)): [B, 192] → [B, 80].</summary>
    public Tensor ProjectSpeaker(Tensor embedding)
    {
        FlowChecks.Speaker("CausalMaskedDiffWithXvec.ProjectSpeaker", embedding, -1, Config.SpkEmbedDim, Device);
        using var scope = NewDisposeScope();
        var normalized = embedding / embedding.norm(1, true).clamp_min(1e-12);
        return spk_embed_affine_layer.forward(normalized).MoveToOuterDisposeScope();
    }

    /// <summary>input_embedding(clamp(token, 0)) with frames at or past token_len zeroed: [B, T, 2] → [B, T, input_size].</summary>
    public Tensor EmbedTokens(Tensor token, Tensor tokenLen)
    {
        FlowChecks.Tokens("CausalMaskedDiffWithXvec.EmbedTokens", token, tokenLen, Config.VocabSize, Device);
        using var scope = NewDisposeScope();
        var mask = FlowMasks.Valid(tokenLen, token.size(1)).unsqueeze(-1);
        var emb = input_embedding.forward(token.clamp_min(0));
        return (emb * mask.to_type(emb.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// mu before transposition: token [B, T, 2], token_len [B] → (h [B, 2T, 80], h_mask [B, 1, 2T] bool, h_len [B]).
    /// <paramref name="maskPadding"/> true keeps each sample independent of its batch's padding (see
    /// <see cref="UpsampleConformerEncoderV2"/>); false is upstream-exact.
    /// </summary>
    public (Tensor H, Tensor HMask, Tensor HLen) Encode(Tensor token, Tensor tokenLen, bool maskPadding = true)
    {
        FlowChecks.Tokens("CausalMaskedDiffWithXvec.Encode", token, tokenLen, Config.VocabSize, Device);
        using var scope = NewDisposeScope();
        var emb = EmbedTokens(token, tokenLen);
        var (xs, masks, lens) = encoder.forward(emb, tokenLen, maskPadding);
        var h = encoder_proj.forward(xs);
        return (h.MoveToOuterDisposeScope(), masks.MoveToOuterDisposeScope(), lens.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Upstream <c>inference</c> (batch 1): prompt tokens then tokens through the encoder, cond = prompt_feat on the
    /// first prompt frames, Euler sampling from <paramref name="noise"/> [1, 80, ≥T], and the prompt part cut.
    /// token / prompt_token [1, T, 2]; prompt_feat [1, T_p, 80] (already 2·T_prompt frames); embedding [1, 192].
    /// Returns feat [1, 80, T_mel − T_p].
    /// </summary>
    public Tensor Inference(Tensor token, Tensor tokenLen, Tensor promptToken, Tensor promptTokenLen, Tensor promptFeat,
        Tensor promptFeatLen, Tensor embedding, Tensor noise, int? nTimesteps = null)
    {
        CheckInference(token, tokenLen, promptToken, promptTokenLen, promptFeat, promptFeatLen, embedding, noise);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var spks = ProjectSpeaker(embedding);
        var allLen = promptTokenLen + tokenLen;
        var all = cat(new[] { promptToken, token }, 1);
        var (h, _, _) = Encode(all, allLen, maskPadding: false);
        long melLen1 = promptFeat.size(1), total = h.size(1);
        if (melLen1 > total)
            throw new ArgumentException($"prompt_feat has {melLen1} frames but the tokens give only {total}", nameof(promptFeat));
        var conds = zeros_like(h);
        conds.narrow(1, 0, melLen1).copy_(promptFeat);
        var mask = ones(1, 1, total, h.dtype, h.device);
        var feat = decoder.Sample(h.transpose(1, 2), mask, spks, conds.transpose(1, 2), noise, nTimesteps);
        return feat.narrow(2, melLen1, total - melLen1).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The training objective (CosyVoice cosyvoice/flow/flow.py <c>CausalMaskedDiffWithXvec.forward</c> +
    /// <c>compute_loss</c>): mu from the encoder, target x1 = speech_feat cut or zero-padded to the 2·T mel frames,
    /// mask = frames below min(2·token_len, feat_len), cond = the drawn prompt prefix of x1, then the CFM loss.
    /// A frozen encoder (no parameter requiring grad) runs without autograd and without dropout, as a fixed feature
    /// extractor. <paramref name="maskPadding"/> (default) makes each sample's prediction independent of padding.
    /// </summary>
    public FlowLoss ComputeLoss(FlowBatch batch, CfmDraws draws, bool maskPadding = true)
    {
        CheckBatch(batch);
        using var scope = NewDisposeScope();
        var spks = ProjectSpeaker(batch.Embedding);
        Tensor h, hLen;
        encoderSideParameters ??= input_embedding.parameters().Concat(encoder.parameters())
            .Concat(encoder_proj.parameters()).ToArray();
        bool frozen = !encoderSideParameters.Any(p => p.requires_grad);
        if (frozen)
        {
            using var noGrad = no_grad();
            bool wasTraining = encoder.training;
            encoder.eval();
            try { (h, _, hLen) = Encode(batch.SpeechToken, batch.SpeechTokenLen, maskPadding); }
            finally { if (wasTraining) encoder.train(); }
        }
        else (h, _, hLen) = Encode(batch.SpeechToken, batch.SpeechTokenLen, maskPadding);

        long tMel = h.size(1);
        FlowChecks.Draws("CausalMaskedDiffWithXvec.ComputeLoss", draws, h.size(0), Config.OutputSize, tMel);
        var x1 = AlignFrames(batch.SpeechFeat, tMel).transpose(1, 2);           // (B, 80, T)
        var valid = minimum(hLen, batch.SpeechFeatLen.to(hLen.device));
        var mask = FlowMasks.Valid(valid, tMel).unsqueeze(1).to_type(x1.dtype);  // (B, 1, T)
        var conds = CausalConditionalCfm.PromptConds(x1, draws.PromptLen.to(x1.device));
        var r = decoder.ComputeLoss(x1, mask, h.transpose(1, 2), spks, conds, draws);
        return new FlowLoss(r.Loss.MoveToOuterDisposeScope(), r.Pred.MoveToOuterDisposeScope(),
            r.U.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope());
    }

    /// <summary>feat [B, T_f, C] cut or zero-padded to [B, T, C].</summary>
    static Tensor AlignFrames(Tensor feat, long t)
    {
        long tf = feat.size(1);
        if (tf == t) return feat;
        if (tf > t) return feat.narrow(1, 0, t);
        return nn.functional.pad(feat, new long[] { 0, 0, 0, t - tf });
    }

    /// <summary>
    /// Freezes <c>input_embedding</c>, <c>encoder</c> and <c>encoder_proj</c>, makes <c>decoder.estimator.*</c>
    /// trainable, and <c>spk_embed_affine_layer</c> trainable when <paramref name="trainSpeakerProjection"/>
    /// (the fork leaves it trainable). Returns the trainable parameters.
    /// </summary>
    public IReadOnlyList<Parameter> FreezeEncoder(bool trainSpeakerProjection = true)
    {
        var trainable = new List<Parameter>();
        foreach (var (name, p) in named_parameters())
        {
            bool train = TrainsWithDecoder(name, trainSpeakerProjection);
            p.requires_grad = train;
            if (train) trainable.Add(p);
        }
        return trainable;
    }

    /// <summary>Whether <see cref="FreezeEncoder"/> leaves parameter <paramref name="name"/> trainable.</summary>
    public static bool TrainsWithDecoder(string name, bool trainSpeakerProjection) =>
        name.StartsWith("decoder.estimator.", StringComparison.Ordinal)
        || (trainSpeakerProjection && name.StartsWith("spk_embed_affine_layer.", StringComparison.Ordinal));

    /// <summary>Parameter counts per upstream part, with how many train.</summary>
    public ParameterSummary Summarize() => ParameterSummary.Of(this, name =>
    {
        var parts = name.Split('.');
        return parts[0] == "decoder" && parts.Length > 2 ? parts[0] + "." + parts[1] : parts[0];
    });
}
