using StepAudio.Flow;
using StepAudio.Llm;

namespace StepAudio.Training.Planning;

/// <summary>
/// A matrix product repeated over rows: <paramref name="Weights"/> multiply-adds per row (in·out for a linear layer,
/// in·out·kernel for a convolution), <paramref name="Count"/> instances (layers). Its forward costs
/// 2·rows·<paramref name="Weights"/>·<paramref name="Count"/> FLOPs.
/// </summary>
public sealed record Gemm(string Name, long Weights, int Count = 1)
{
    /// <summary>Weight elements over all instances.</summary>
    public long TotalWeights => Weights * Count;

    /// <summary>Forward FLOPs for <paramref name="rows"/> rows.</summary>
    public double Forward(double rows) => 2 * rows * TotalWeights;
}

/// <summary>Forward and backward FLOPs of one part of a step.</summary>
public sealed record FlopPart(double Forward, double Backward)
{
    /// <summary>Forward + backward.</summary>
    public double Total => Forward + Backward;
}

/// <summary>
/// The FLOPs of one training step, counted the way nanoGPT's <c>estimate_mfu</c> does (2 FLOPs per multiply-add of the
/// matrix products; norms, activations, softmax, losses and the optimizer are not counted: they are O(tokens·width),
/// far below the products). <see cref="ModelFlops"/> is the work the step needs; <see cref="HardwareFlops"/> adds what
/// activation checkpointing recomputes (<see cref="Recompute"/>).
/// </summary>
public sealed record StepFlopCount(FlopPart Matmul, FlopPart Attention, FlopPart Lora, double Recompute)
{
    /// <summary>Forward + backward of every part, without recomputation.</summary>
    public double ModelFlops => Matmul.Total + Attention.Total + Lora.Total;

    /// <summary>What the hardware runs: <see cref="ModelFlops"/> plus the recomputed forwards.</summary>
    public double HardwareFlops => ModelFlops + Recompute;
}

/// <summary>
/// Analytic FLOP counts of a Step1 LoRA step and a flow (DiT) step, for benches that report their throughput as a share
/// of the machine's measured peak. Attention counts the full S×S score and value products (QKᵀ and AV, 2·S²·d each
/// per head): the kernels run with an explicit bias/mask, so the causal half above the diagonal is computed, not
/// skipped. Backward of a product: input gradient (1× forward) plus, when the weight trains, weight gradient (1×).
/// Attention's backward is 2× its forward (dQ, dK, dV, dP).
/// </summary>
public static class StepFlops
{
    /// <summary>The Step1 linear layers (q/k/v/o, gate/up/down per layer, lm_head) that <see cref="Step1Lora"/> prices, from <see cref="ModelSizes.FromConfig"/>.</summary>
    public static IReadOnlyList<Gemm> Step1Gemms(Step1Config c) =>
        ModelSizes.FromConfig(c, "flops").Linears.Select(l => new Gemm(l.Module, l.In * l.Out, l.Count)).ToList();

    /// <summary>
    /// One Step1 training step on <paramref name="batch"/> × <paramref name="seqLen"/> tokens with LoRA
    /// <paramref name="lora"/> (rank r: r·(in+out) per adapted layer). A frozen base (<paramref name="frozenBase"/>)
    /// needs input gradients only, except for layer 0's q/k/v, whose input (the frozen embedding) needs none; a trained
    /// base adds weight gradients (full fine-tune, no LoRA counted then). <paramref name="checkpointing"/> recomputes
    /// every decoder layer's forward (not lm_head) in backward.
    /// </summary>
    public static StepFlopCount Step1Lora(Step1Config c, LoraConfig? lora, int batch, int seqLen, bool frozenBase = true,
        bool checkpointing = false)
    {
        double n = (double)batch * seqLen;
        var linears = ModelSizes.FromConfig(c, "flops").Linears;
        var head = linears.Single(l => l.Module == "lm_head");
        double Forward(LinearShape l) => 2 * n * l.In * l.Out * l.Count;
        double layers = linears.Where(l => l != head).Sum(Forward);
        // Layer 0's q/k/v read the embedding, which never needs a gradient.
        static bool Qkv(LinearShape l) => l.Module is "q_proj" or "k_proj" or "v_proj";
        double firstQkv = linears.Where(Qkv).Sum(l => 2 * n * l.In * l.Out);
        double matmulForward = layers + Forward(head);
        double matmulBackward = frozenBase ? matmulForward - firstQkv : 2 * matmulForward - firstQkv;

        double attentionForward = AttentionForward(c.NumHiddenLayers, batch, c.NumAttentionHeads, c.HeadDim, seqLen, seqLen);
        double loraForward = 0, loraBackward = 0, headLora = 0;
        foreach (var l in frozenBase && lora is not null ? linears.Where(l => lora.TargetModules.Contains(l.Module)) : [])
        {
            double down = 2 * n * l.In * lora!.R, up = 2 * n * lora.R * l.Out;   // per layer
            loraForward += l.Count * (down + up);
            // dB and dA (weights), d(A's output) always; dx except where the input needs no gradient (layer 0 q/k/v).
            loraBackward += l.Count * (2 * up + down) + (Qkv(l) ? l.Count - 1 : l.Count) * down;
            if (l == head) headLora = down + up;
        }
        double recompute = checkpointing ? layers + attentionForward + loraForward - headLora : 0;
        return new StepFlopCount(new FlopPart(matmulForward, matmulBackward),
            new FlopPart(attentionForward, 2 * attentionForward), new FlopPart(loraForward, loraBackward), recompute);
    }

    /// <summary>QKᵀ and AV over <paramref name="keys"/> keys: 2 · 2·q·k·d per head, layer and item.</summary>
    public static double AttentionForward(int layers, int batch, int heads, int headDim, double queries, double keys) =>
        4.0 * layers * batch * heads * headDim * queries * keys;

    /// <summary>
    /// The flow's matrix products by where they run: <c>encoder</c> at token frames (embed, pre-lookahead convolutions,
    /// the first conformer blocks), <c>encoder_pos</c> once per step on 2T−1 relative positions, <c>up</c> at mel
    /// frames (upsampling convolution, up-blocks, encoder_proj), <c>dit</c> at mel frames, <c>dit_item</c> once per
    /// batch item (time embedding, adaLN, speaker projection). Their weights are the model's matrices (embeddings and
    /// the rel-pos biases excluded).
    /// </summary>
    public static IReadOnlyList<(string Where, Gemm Gemm)> FlowGemms(FlowConfig c)
    {
        var e = c.Encoder;
        var d = c.Estimator;
        long w = e.OutputSize, h = d.HiddenSize, inner = (long)d.NumHeads * d.HeadDim, mlp = (long)(d.HiddenSize * d.MlpRatio);
        Gemm[] Blocks(int n) => [new("attn_qkvo", 4 * w * w, n), new("feed_forward", 2 * w * e.LinearUnits, n)];
        var list = new List<(string, Gemm)>
        {
            ("encoder", new Gemm("embed", e.InputSize * w)),
            ("encoder", new Gemm("pre_lookahead", w * w * (e.PreLookaheadLen + 1) + w * w * 3)),
            ("up", new Gemm("up_layer", w * w * (2 * e.UpStride + 1))),
            ("up", new Gemm("up_embed", e.InputSize * w)),
            ("up", new Gemm("encoder_proj", w * c.OutputSize)),
            ("encoder_pos", new Gemm("linear_pos", w * w, e.NumBlocks)),
            ("up_pos", new Gemm("linear_pos", w * w, e.NumUpBlocks)),
            ("dit", new Gemm("in_proj", (long)d.InChannels * h)),
            ("dit", new Gemm("attn_qkv_proj", 3 * h * inner + inner * h, d.Depth)),
            ("dit", new Gemm("mlp", 2 * h * mlp, d.Depth)),
            ("dit", new Gemm("conv", 2 * h * h * 3, d.Depth)),
            ("dit", new Gemm("final_linear", h * d.OutChannels)),
            ("dit_item", new Gemm("t_embedder", (long)TimestepEmbedder.FrequencyEmbeddingSize * h + h * h)),
            ("dit_item", new Gemm("adaLN", h * 9 * h, d.Depth)),
            ("dit_item", new Gemm("final_adaLN", h * 2 * h)),
            ("dit_item", new Gemm("spk_embed_affine", (long)c.SpkEmbedDim * c.OutputSize)),
        };
        list.AddRange(Blocks(e.NumBlocks).Select(g => ("encoder", g)));
        list.AddRange(Blocks(e.NumUpBlocks).Select(g => ("up", g)));
        return list;
    }

    /// <summary>
    /// One flow training step (<see cref="CausalMaskedDiffWithXvec.ComputeLoss"/> with a frozen encoder): the encoder's
    /// forward only (no autograd), the DiT's forward and full backward (input and weight gradients; in_proj's input
    /// needs none) on <paramref name="batch"/> items of <paramref name="melFrames"/> frames, padded
    /// (token frames = mel frames / up_stride). Reported as <see cref="StepFlopCount.Matmul"/> (encoder forward + DiT
    /// products) and <see cref="StepFlopCount.Attention"/> (encoder rel-pos attention forward: QKᵀ, Q·Pᵀ over 2T−1
    /// positions, AV; DiT attention forward and backward); <see cref="StepFlopCount.Lora"/> is zero.
    /// </summary>
    public static StepFlopCount FlowStep(FlowConfig c, int batch, int melFrames)
    {
        double tm = melFrames, tt = Math.Ceiling(tm / c.Encoder.UpStride);
        double Rows(string where) => where switch
        {
            "encoder" => batch * tt, "encoder_pos" => 2 * tt - 1, "up" => batch * tm, "up_pos" => 2 * tm - 1,
            "dit" => batch * tm, _ => batch,
        };
        var gemms = FlowGemms(c);
        double encoder = gemms.Where(g => !g.Where.StartsWith("dit", StringComparison.Ordinal)).Sum(g => g.Gemm.Forward(Rows(g.Where)));
        double dit = gemms.Where(g => g.Where.StartsWith("dit", StringComparison.Ordinal)).Sum(g => g.Gemm.Forward(Rows(g.Where)));
        double inProj = gemms.Single(g => g.Gemm.Name == "in_proj").Gemm.Forward(batch * tm);
        var e = c.Encoder;
        int dk = e.OutputSize / e.AttentionHeads;
        // rel-pos attention: QKᵀ (T keys) + AV (T) + Q·Pᵀ (2T−1 positions) = the 2-product count over T + half of it over 2T−1.
        double Rel(int layers, double t) => AttentionForward(layers, batch, e.AttentionHeads, dk, t, t)
            + AttentionForward(layers, batch, e.AttentionHeads, dk, t, 2 * t - 1) / 2;
        double encoderAttention = Rel(e.NumBlocks, tt) + Rel(e.NumUpBlocks, tm);
        var d = c.Estimator;
        double ditAttention = AttentionForward(d.Depth, batch, d.NumHeads, d.HeadDim, tm, tm);
        return new StepFlopCount(new FlopPart(encoder + dit, 2 * dit - inProj),
            new FlopPart(encoderAttention + ditAttention, 2 * ditAttention), new FlopPart(0, 0), 0);
    }
}
