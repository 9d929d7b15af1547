// Mirrors modeling_step1.py of the Step-Audio-EditX model folder (Step1Config, RMSNorm, ALiBi, attention, MLP, decoder layer, model, causal LM).
using System.Text.Json;
using StepAudio.Nn;
using StepAudio.Platform;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch.nn;
using static TorchSharp.torch;

namespace StepAudio.Llm;

/// <summary>
/// The Step1 LLM's hyper-parameters under the Hugging Face <c>config.json</c> names
/// (upstream <c>configuration_step1.Step1Config</c>), plus the two facts of Step-Audio-EditX's vocabulary that the
/// prompt code needs: where audio tokens start (<c>&lt;audio_N&gt;</c> = <see cref="AudioTokenOffset"/> + N) and the
/// vq02:vq06 interleave of the mixed audio stream (2:3, tokenizer.py <c>merge_vq0206_to_token_str</c>).
/// </summary>
public sealed record Step1Config
{
    /// <summary>Model width (3072 in the real model).</summary>
    public int HiddenSize { get; init; }
    /// <summary>Decoder layers (32).</summary>
    public int NumHiddenLayers { get; init; }
    /// <summary>Query heads (48).</summary>
    public int NumAttentionHeads { get; init; }
    /// <summary>Key/value heads (GQA groups; 4).</summary>
    public int NumAttentionGroups { get; init; }
    /// <summary>SwiGLU inner width (8192).</summary>
    public int IntermediateSize { get; init; }
    /// <summary>Text + audio vocabulary (74752).</summary>
    public int VocabSize { get; init; }
    /// <summary>RMSNorm epsilon.</summary>
    public double RmsNormEps { get; init; } = 1e-5;
    /// <summary>Longest sequence (prompt + generated).</summary>
    public int MaxSeqLen { get; init; }
    /// <summary>BOS id (1).</summary>
    public int BosTokenId { get; init; } = 1;
    /// <summary>EOS id (3, <c>&lt;|EOT|&gt;</c>).</summary>
    public int EosTokenId { get; init; } = 3;
    /// <summary>Padding id (0).</summary>
    public int PadTokenId { get; init; }
    /// <summary>Id of <c>&lt;audio_0&gt;</c> (65536 in the real vocabulary).</summary>
    public int AudioTokenOffset { get; init; } = 65536;
    /// <summary>vq02 (linguistic) codes per interleave group (2).</summary>
    public int InterleaveVq02 { get; init; } = 2;
    /// <summary>vq06 (semantic) codes per interleave group (3).</summary>
    public int InterleaveVq06 { get; init; } = 3;
    /// <summary>Number of vq02 codes (1024); vq06 code c becomes <c>&lt;audio_{Vq02Codebook + c}&gt;</c>.</summary>
    public int Vq02Codebook { get; init; } = 1024;

    /// <summary>Width of one attention head.</summary>
    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>The real Step-Audio-EditX LLM (config.json of the released model folder).</summary>
    public static Step1Config StepAudioEditX { get; } = new()
    {
        HiddenSize = 3072, NumHiddenLayers = 32, NumAttentionHeads = 48, NumAttentionGroups = 4,
        IntermediateSize = 8192, VocabSize = 74752, RmsNormEps = 1e-5, MaxSeqLen = 32768,
        BosTokenId = 1, EosTokenId = 3, PadTokenId = 0, AudioTokenOffset = 65536,
    };

    /// <summary>
    /// A tiny Step1 for the embedded default and tests (4 layers, width 256, 8 heads in 2 KV groups): 1,024 text pieces
    /// then the 5,120 audio tokens, the layout of the real vocabulary at a laptop's scale.
    /// </summary>
    public static Step1Config Tiny { get; } = new()
    {
        HiddenSize = 256, NumHiddenLayers = 4, NumAttentionHeads = 8, NumAttentionGroups = 2, IntermediateSize = 688,
        VocabSize = 1024 + 5120, MaxSeqLen = 4096, BosTokenId = 1, EosTokenId = 3, PadTokenId = 0, AudioTokenOffset = 1024,
    };

    /// <summary>The names <see cref="Preset"/> knows (and <c>model.llm.preset</c> accepts).</summary>
    public static IReadOnlyList<string> PresetNames { get; } = ["step-audio-editx", "tiny"];

    /// <summary>A preset by one of the <see cref="PresetNames"/>.</summary>
    public static Step1Config Preset(string name) => name switch
    {
        "step-audio-editx" => StepAudioEditX,
        "tiny" => Tiny,
        _ => throw new ArgumentException($"unknown LLM preset '{name}' (known: {string.Join(", ", PresetNames)})", nameof(name)),
    };

    /// <summary>Checks the sizes fit together; <paramref name="source"/> names the file in the error.</summary>
    public Step1Config Validate(string source = "Step1Config")
    {
        void Need(bool ok, string field, string problem, string fix)
        {
            if (!ok) throw new InputException(source, null, field, problem, fix);
        }
        Need(HiddenSize > 0, "hidden_size", $"must be positive, got {HiddenSize}", "set the model width");
        Need(NumHiddenLayers > 0, "num_hidden_layers", $"must be positive, got {NumHiddenLayers}", "set the layer count");
        Need(NumAttentionHeads > 0, "num_attention_heads", $"must be positive, got {NumAttentionHeads}", "set the head count");
        Need(NumAttentionGroups > 0, "num_attention_groups", $"must be positive, got {NumAttentionGroups}",
            "set the KV head count (4 in Step-Audio-EditX)");
        Need(HiddenSize % NumAttentionHeads == 0, "num_attention_heads",
            $"hidden_size {HiddenSize} is not divisible by {NumAttentionHeads} heads", "use a divisor of hidden_size");
        Need(NumAttentionHeads % NumAttentionGroups == 0, "num_attention_groups",
            $"{NumAttentionHeads} heads cannot be split into {NumAttentionGroups} groups",
            "use a divisor of num_attention_heads");
        Need(IntermediateSize > 0, "intermediate_size", $"must be positive, got {IntermediateSize}", "set the MLP width");
        Need(VocabSize > 0, "vocab_size", $"must be positive, got {VocabSize}", "set the vocabulary size");
        Need(RmsNormEps > 0, "rms_norm_eps", $"must be positive, got {RmsNormEps}", "use 1e-5");
        Need(EosTokenId >= 0 && EosTokenId < VocabSize, "eos_token_id", $"{EosTokenId} is outside the vocabulary",
            "use an id below vocab_size");
        // Sizes read from a file are checked before anything is built from them (a corrupt config.json must not
        // build a model until memory runs out); the limits are far above any released model.
        Need(HiddenSize <= 65536, "hidden_size", $"{HiddenSize} is not a plausible model width", "check config.json");
        Need(NumHiddenLayers <= 1024, "num_hidden_layers", $"{NumHiddenLayers} is not a plausible layer count", "check config.json");
        Need(NumAttentionHeads <= 1024, "num_attention_heads", $"{NumAttentionHeads} is not a plausible head count", "check config.json");
        Need(IntermediateSize <= 1 << 20, "intermediate_size", $"{IntermediateSize} is not a plausible MLP width", "check config.json");
        Need(VocabSize <= 1 << 23, "vocab_size", $"{VocabSize} is not a plausible vocabulary size", "check config.json");
        return this;
    }

    /// <summary>The Hugging Face <c>config.json</c> text for this config (<c>Step1ForCausalLM</c>, untied head).</summary>
    public string ToJson(string torchDtype = "bfloat16")
    {
        var o = new System.Text.Json.Nodes.JsonObject
        {
            ["architectures"] = new System.Text.Json.Nodes.JsonArray("Step1ForCausalLM"),
            ["model_type"] = "step1", ["torch_dtype"] = torchDtype, ["tie_word_embeddings"] = false,
            ["hidden_size"] = HiddenSize, ["intermediate_size"] = IntermediateSize,
            ["num_attention_heads"] = NumAttentionHeads, ["num_attention_groups"] = NumAttentionGroups,
            ["num_hidden_layers"] = NumHiddenLayers, ["max_seq_len"] = MaxSeqLen, ["vocab_size"] = VocabSize,
            ["rms_norm_eps"] = RmsNormEps, ["bos_token_id"] = BosTokenId, ["eos_token_id"] = EosTokenId,
            ["pad_token_id"] = PadTokenId,
        };
        // Not an upstream key (its vocabulary fixes 65536); written only for other layouts so FromJson reads them back.
        if (AudioTokenOffset != 65536) o["audio_token_offset"] = AudioTokenOffset;
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads a Hugging Face <c>config.json</c> (<c>model_type: step1</c>); unknown keys are ignored.</summary>
    public static Step1Config FromJsonFile(string path)
    {
        if (!File.Exists(path))
            throw new InputException(path, null, null, "config.json not found", "point to a Hugging Face model folder");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InputException(path, (int?)e.LineNumber + 1, null, "not valid JSON: " + e.Message, "fix the file", e); }
        using (doc) return InputException.ReadingJson(path, () => FromJson(doc.RootElement, path));
    }

    /// <summary>Reads the config from a parsed JSON object (a config.json or a fixture's <c>config</c>).</summary>
    public static Step1Config FromJson(JsonElement e, string source = "config.json")
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw new InputException(source, null, null, "is not a JSON object", "use a Hugging Face config.json");
        if (e.TryGetProperty("model_type", out var mt) && mt.GetString() is { } type && type != "step1")
            throw new InputException(source, null, "model_type", $"is '{type}', not 'step1'",
                "point to the Step-Audio-EditX LLM folder");
        int Req(string name)
        {
            if (!e.TryGetProperty(name, out var v))
                throw new InputException(source, null, name, "is missing", "copy it from the model's config.json");
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var i))
                throw new InputException(source, null, name, $"must be an integer, got {v}", "fix the value");
            return i;
        }
        int Opt(string name, int dflt) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            ? v.GetInt32() : dflt;
        double eps = e.TryGetProperty("rms_norm_eps", out var ev) && ev.ValueKind == JsonValueKind.Number
            ? ev.GetDouble() : 1e-5;
        return new Step1Config
        {
            HiddenSize = Req("hidden_size"), NumHiddenLayers = Req("num_hidden_layers"),
            NumAttentionHeads = Req("num_attention_heads"), NumAttentionGroups = Req("num_attention_groups"),
            IntermediateSize = Req("intermediate_size"), VocabSize = Req("vocab_size"), RmsNormEps = eps,
            MaxSeqLen = Opt("max_seq_len", 32768), BosTokenId = Opt("bos_token_id", 1),
            EosTokenId = Opt("eos_token_id", 3), PadTokenId = Opt("pad_token_id", 0),
            AudioTokenOffset = Opt("audio_token_offset", 65536),
        }.Validate(source);
    }
}

/// <summary>
/// Step1's RMSNorm (modeling_step1.py): <c>weight * x * rsqrt(mean(x²) + eps)</c> with the variance computed in
/// float32 and the result cast back to the input dtype before the weight is applied. No bias.
/// </summary>
public sealed class Step1RmsNorm : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's.
    /// <summary>The per-channel gain (<c>weight</c>).</summary>
    public Parameter weight;
#pragma warning restore IDE1006
    readonly double eps;

    /// <summary>Creates the norm with a gain of ones.</summary>
    public Step1RmsNorm(long size, double eps, Device? device = null, ScalarType? dtype = null) : base(nameof(Step1RmsNorm))
    {
        weight = new Parameter(ones(size, dtype ?? ScalarType.Float32, device));
        this.eps = eps;
        RegisterComponents();
    }

    /// <summary>Replaces the gain tensor (checkpoint loading onto a shape-only model).</summary>
    internal void SetWeight(Parameter value)
    {
        weight = value;
        ConditionallyRegisterParameter(nameof(weight), value);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var inputType = x.dtype;
        var h = x.to_type(ScalarType.Float32);
        var variance = h.pow(2).mean(new long[] { -1 }, keepdim: true);
        h = h * rsqrt(variance + eps);
        return (weight * h.to_type(inputType)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Step1's causal sqrt-ALiBi attention bias (modeling_step1.py <c>build_alibi_cache</c>):
/// <c>bias[h,i,j] = -slope_h · sqrt(i − j)</c> for j ≤ i and −∞ above the diagonal. There are no position embeddings;
/// this bias is the model's only notion of order.
/// </summary>
public static class Step1Alibi
{
    /// <summary>
    /// ALiBi slopes. With n the largest power of two ≤ <paramref name="heads"/>: <c>2^(−8k/n)</c> for k = 1..n, then,
    /// for the remaining heads, every other slope of the 2n sequence: <c>2^(−4(2m+1)/n)</c> for m = 0..heads−n−1.
    /// </summary>
    public static double[] Slopes(int heads)
    {
        if (heads <= 0) throw new ArgumentOutOfRangeException(nameof(heads), heads, "head count must be positive");
        int n = 1;
        while (n * 2 <= heads) n *= 2;
        var slopes = new double[heads];
        for (int k = 1; k <= n; k++) slopes[k - 1] = Math.Pow(2, -8.0 * k / n);
        for (int m = 0; m < heads - n; m++) slopes[n + m] = Math.Pow(2, -4.0 * (2 * m + 1) / n);
        return slopes;
    }

    /// <summary>
    /// The bias for <paramref name="queryLength"/> queries that are the last rows of a <paramref name="keyLength"/>
    /// causal sequence (the KV-cache case; equal lengths for training): float32 <c>[heads, q, k]</c>.
    /// </summary>
    public static Tensor Bias(int heads, long queryLength, long keyLength, Device? device = null)
    {
        if (queryLength > keyLength)
            throw new ArgumentException($"query length {queryLength} exceeds key length {keyLength}");
        using var scope = NewDisposeScope();
        var i = arange(keyLength - queryLength, keyLength, ScalarType.Float32, device).unsqueeze(1);
        var j = arange(0, keyLength, ScalarType.Float32, device).unsqueeze(0);
        var dist = i - j; // [q, k]
        var slopes = tensor(Slopes(heads), ScalarType.Float32, device).view(heads, 1, 1);
        var bias = -slopes * dist.clamp_min(0).sqrt().unsqueeze(0);
        var future = (dist < 0).unsqueeze(0);
        return bias.masked_fill(future, float.NegativeInfinity).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Per-layer keys and values of the tokens seen so far (before the GQA repeat), for incremental decoding.
/// Dispose it when generation ends.
/// </summary>
public sealed class Step1KvCache : IDisposable
{
    readonly Tensor?[] keys, values;

    /// <summary>An empty cache for <paramref name="layers"/> layers.</summary>
    public Step1KvCache(int layers)
    {
        keys = new Tensor?[layers];
        values = new Tensor?[layers];
    }

    /// <summary>Tokens cached so far.</summary>
    public long Length => keys[0]?.shape[2] ?? 0;

    /// <summary>Layers this cache was made for.</summary>
    public int Layers => keys.Length;

    /// <summary>The batch size cached (-1 while empty).</summary>
    public long Batch => keys[0]?.shape[0] ?? -1;

    internal bool IsOn(Device device) => keys[0] is not { } k || (k.device_type == device.type && k.device_index == device.index);

    /// <summary>Appends <c>[B, groups, S, D]</c> keys/values of one layer and returns the full ones.</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var oldK = keys[layer];
        var oldV = values[layer];
        var newK = oldK is null ? k.detach().clone() : cat(new[] { oldK, k.detach() }, 2);
        var newV = oldV is null ? v.detach().clone() : cat(new[] { oldV, v.detach() }, 2);
        newK.DetachFromDisposeScope();
        newV.DetachFromDisposeScope();
        oldK?.Dispose();
        oldV?.Dispose();
        keys[layer] = newK;
        values[layer] = newV;
        return (newK, newV);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in keys) t?.Dispose();
        foreach (var t in values) t?.Dispose();
        Array.Clear(keys);
        Array.Clear(values);
    }
}

/// <summary>
/// Step1 self-attention (modeling_step1.py <c>StepAttention</c>, torch fallback path): q from all heads, k and v from
/// <c>num_attention_groups</c> heads repeated with <c>repeat_interleave</c> (query head h uses group
/// h / (heads/groups)), the causal sqrt-ALiBi bias added to the scores, softmax scale 1/√head_dim. No biases, no RoPE.
/// The projections are plain <see cref="Module{T,TResult}"/> fields so LoRA can replace them in place.
/// </summary>
public sealed class Step1Attention : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's.
    /// <summary>Query projection [hidden → hidden].</summary>
    public Module<Tensor, Tensor> q_proj;
    /// <summary>Key projection [hidden → groups·head_dim].</summary>
    public Module<Tensor, Tensor> k_proj;
    /// <summary>Value projection [hidden → groups·head_dim].</summary>
    public Module<Tensor, Tensor> v_proj;
    /// <summary>Output projection [hidden → hidden].</summary>
    public Module<Tensor, Tensor> o_proj;
#pragma warning restore IDE1006
    readonly int heads, groups, headDim;

    /// <summary>Creates the attention block for <paramref name="config"/>.</summary>
    public Step1Attention(Step1Config config, Device? device = null, ScalarType? dtype = null) : base(nameof(Step1Attention))
    {
        heads = config.NumAttentionHeads;
        groups = config.NumAttentionGroups;
        headDim = config.HeadDim;
        long h = config.HiddenSize, kv = (long)groups * headDim;
        q_proj = Linear(h, h, hasBias: false, device: device, dtype: dtype);
        k_proj = Linear(h, kv, hasBias: false, device: device, dtype: dtype);
        v_proj = Linear(h, kv, hasBias: false, device: device, dtype: dtype);
        o_proj = Linear(h, h, hasBias: false, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>The projection named <paramref name="name"/> (<c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c>, <c>o_proj</c>).</summary>
    public Module<Tensor, Tensor> Projection(string name) => name switch
    {
        "q_proj" => q_proj, "k_proj" => k_proj, "v_proj" => v_proj, "o_proj" => o_proj,
        _ => throw new ArgumentException($"Step1Attention has no projection '{name}'"),
    };

    /// <summary>Replaces a projection (LoRA injection); the state-dict name stays the same.</summary>
    public void ReplaceProjection(string name, Module<Tensor, Tensor> module)
    {
        _ = Projection(name);
        register_module(name, null!);
        register_module(name, module);
        switch (name)
        {
            case "q_proj": q_proj = module; break;
            case "k_proj": k_proj = module; break;
            case "v_proj": v_proj = module; break;
            default: o_proj = module; break;
        }
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => forward(x, null, null, -1);

    /// <summary>
    /// Attends <paramref name="x"/> [B, S, hidden]. With a cache, the new keys/values of layer
    /// <paramref name="layer"/> are appended and the queries attend to everything cached. <paramref name="bias"/> is
    /// the ALiBi bias [heads, S, keys] (computed here when null; the model computes it once for all layers).
    /// </summary>
    public Tensor forward(Tensor x, Tensor? bias, Step1KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], s = x.shape[1];
        var q = q_proj.call(x).view(b, s, heads, headDim).transpose(1, 2);   // [B, H, S, D]
        var k = k_proj.call(x).view(b, s, groups, headDim).transpose(1, 2);  // [B, G, S, D]
        var v = v_proj.call(x).view(b, s, groups, headDim).transpose(1, 2);
        if (cache is not null) (k, v) = cache.Append(layer, k, v);
        long kvLen = k.shape[2];
        int rep = heads / groups;
        if (rep > 1)
        {
            k = k.repeat_interleave(rep, dim: 1);
            v = v.repeat_interleave(rep, dim: 1);
        }
        bias ??= Step1Alibi.Bias(heads, s, kvLen, x.device);   // [H, S, kvLen]
        if (bias.shape[1] != s || bias.shape[2] != kvLen)
            throw new ArgumentException($"ALiBi bias [{string.Join(", ", bias.shape)}] does not fit {s} queries and {kvLen} keys");
        if (bias.dtype != q.dtype) bias = bias.to_type(q.dtype);
        var o = functional.scaled_dot_product_attention(q, k, v, bias.unsqueeze(0));  // [B, H, S, D]
        o = o.transpose(1, 2).reshape(b, s, heads * headDim);
        return o_proj.call(o).MoveToOuterDisposeScope();
    }
}

/// <summary>Step1's SwiGLU MLP: <c>down_proj(silu(gate_proj(x)) · up_proj(x))</c>, no biases.</summary>
public sealed class Step1Mlp : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's.
    /// <summary>Gate projection [hidden → intermediate].</summary>
    public Module<Tensor, Tensor> gate_proj;
    /// <summary>Up projection [hidden → intermediate].</summary>
    public Module<Tensor, Tensor> up_proj;
    /// <summary>Down projection [intermediate → hidden].</summary>
    public Module<Tensor, Tensor> down_proj;
#pragma warning restore IDE1006

    /// <summary>Creates the MLP for <paramref name="config"/>.</summary>
    public Step1Mlp(Step1Config config, Device? device = null, ScalarType? dtype = null) : base(nameof(Step1Mlp))
    {
        gate_proj = Linear(config.HiddenSize, config.IntermediateSize, hasBias: false, device: device, dtype: dtype);
        up_proj = Linear(config.HiddenSize, config.IntermediateSize, hasBias: false, device: device, dtype: dtype);
        down_proj = Linear(config.IntermediateSize, config.HiddenSize, hasBias: false, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>The projection named <paramref name="name"/> (<c>gate_proj</c>, <c>up_proj</c>, <c>down_proj</c>).</summary>
    public Module<Tensor, Tensor> Projection(string name) => name switch
    {
        "gate_proj" => gate_proj, "up_proj" => up_proj, "down_proj" => down_proj,
        _ => throw new ArgumentException($"Step1Mlp has no projection '{name}'"),
    };

    /// <summary>Replaces a projection (LoRA injection); the state-dict name stays the same.</summary>
    public void ReplaceProjection(string name, Module<Tensor, Tensor> module)
    {
        _ = Projection(name);
        register_module(name, null!);
        register_module(name, module);
        switch (name)
        {
            case "gate_proj": gate_proj = module; break;
            case "up_proj": up_proj = module; break;
            default: down_proj = module; break;
        }
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = functional.silu(gate_proj.call(x)) * up_proj.call(x);
        return down_proj.call(h).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// One pre-norm Step1 block: <c>h = x + self_attn(input_layernorm(x))</c>,
/// <c>y = h + mlp(post_attention_layernorm(h))</c>.
/// </summary>
public sealed class Step1DecoderLayer : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's.
    public Step1Attention self_attn;
    public Step1Mlp mlp;
    public Step1RmsNorm input_layernorm;
    public Step1RmsNorm post_attention_layernorm;
#pragma warning restore IDE1006

    /// <summary>Creates the block for <paramref name="config"/>.</summary>
    public Step1DecoderLayer(Step1Config config, Device? device = null, ScalarType? dtype = null) : base(nameof(Step1DecoderLayer))
    {
        self_attn = new Step1Attention(config, device, dtype);
        mlp = new Step1Mlp(config, device, dtype);
        input_layernorm = new Step1RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        post_attention_layernorm = new Step1RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => forward(x, null, null, -1);

    /// <summary>Runs the block; see <see cref="Step1Attention.forward(Tensor, Tensor?, Step1KvCache?, int)"/>.</summary>
    public Tensor forward(Tensor x, Tensor? bias, Step1KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        var h = x + self_attn.forward(input_layernorm.forward(x), bias, cache, layer);
        return (h + mlp.forward(post_attention_layernorm.forward(h))).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The Step1 decoder stack (modeling_step1.py <c>Step1Model</c>): token embedding, pre-norm blocks, final RMSNorm.
/// No position embeddings (order comes from the ALiBi bias). <c>attention_mask</c> does not exist upstream either:
/// batches must be right-padded.
/// </summary>
public sealed class Step1Model : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's.
    /// <summary>Token embedding [vocab, hidden].</summary>
    public Embedding embed_tokens;
    public ModuleList<Step1DecoderLayer> layers;
    public Step1RmsNorm norm;
#pragma warning restore IDE1006

    /// <summary>The configuration this was built from.</summary>
    public Step1Config Config { get; }

    /// <summary>
    /// When true and grad is enabled (training, no KV cache), every decoder layer runs through
    /// <see cref="Step1LayerCheckpoint"/>: only its input is kept for backward and the layer is recomputed there
    /// (<c>model.llm.gradient_checkpointing</c>). Results and gradients are those of the plain forward.
    /// </summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>The LoRA adapters' shared dropout generator (set by <see cref="Step1Lora.Inject"/>; null without dropout).</summary>
    internal Generator? DropoutGenerator { get; set; }

    /// <summary>Creates the stack (random weights; load real ones with <c>Step1Checkpoint</c>).</summary>
    public Step1Model(Step1Config config, Device? device = null, ScalarType? dtype = null) : base(nameof(Step1Model))
    {
        Config = config.Validate();
        embed_tokens = Embedding(config.VocabSize, config.HiddenSize, device: device, dtype: dtype);
        layers = new ModuleList<Step1DecoderLayer>();
        for (int i = 0; i < config.NumHiddenLayers; i++) layers.Add(new Step1DecoderLayer(config, device, dtype));
        norm = new Step1RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor inputIds) => forward(inputIds, null, null);

    /// <summary>
    /// Runs <paramref name="inputIds"/> [B, S] (int64) to the final-normed hidden states [B, S, hidden].
    /// <paramref name="hiddenStates"/>, when given, receives Hugging Face's <c>output_hidden_states</c>: the embeddings,
    /// the output of every block but the last, and the final-normed output (detached copies the caller disposes).
    /// </summary>
    public Tensor forward(Tensor inputIds, Step1KvCache? cache, List<Tensor>? hiddenStates = null) =>
        Forward(inputIds, cache, hiddenStates, "Step1Model.forward");

    internal Tensor Forward(Tensor inputIds, Step1KvCache? cache, List<Tensor>? hiddenStates, string api)
    {
        CheckTokenIds(inputIds, Config.VocabSize, api);
        TensorChecks.OnDevice(inputIds, api, "input_ids", embed_tokens.weight!.device);
        if (cache is not null) CheckCache(cache, inputIds.shape[0], api);
        using var products = CpuConvolutionGuard.OneDnnProductsFor(embed_tokens.weight!);   // bf16 GEMMs: 10× with oneDNN
        using var scope = NewDisposeScope();
        // Each training forward seeds the dropout generator from LibTorch's global one, so torch.manual_seed decides
        // the masks as it would for F.dropout, while checkpointing can save and restore them on any device.
        if (training && DropoutGenerator is { } dropoutGenerator)
            dropoutGenerator.manual_seed(randint(long.MaxValue, [1], ScalarType.Int64).item<long>());
        var h = embed_tokens.call(inputIds);
        long s = inputIds.shape[1], keys = (cache?.Length ?? 0) + s;
        var bias = Step1Alibi.Bias(Config.NumAttentionHeads, s, keys, h.device).to_type(h.dtype);
        for (int i = 0; i < layers.Count; i++)
        {
            if (hiddenStates is not null) hiddenStates.Add(h.detach().clone().DetachFromDisposeScope());
            h = GradientCheckpointing && cache is null && is_grad_enabled()
                ? Step1LayerCheckpoint.Run(layers[i], h, bias)
                : layers[i].forward(h, bias, cache, i);
        }
        var output = norm.forward(h);
        if (hiddenStates is not null) hiddenStates.Add(output.detach().clone().DetachFromDisposeScope());
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>Throws a clear error unless <paramref name="ids"/> is a non-empty [batch, seq] int64 tensor of ids in [0, vocab).</summary>
    public static void CheckTokenIds(Tensor ids, long vocabSize, string api = "Step1Model.forward")
    {
        TensorChecks.Check(ids, api, "input_ids", TensorKind.Int64, "batch", "seq");
        if (ids.numel() == 0) throw new TensorArgumentException($"{api}: input_ids is empty ({TensorChecks.Describe(ids)})", "input_ids");
        TensorChecks.IdsInRange(ids, api, "input_ids", 0, vocabSize,
            "check the tokenizer and the audio-token offset match this model's config.json");
    }

    void CheckCache(Step1KvCache cache, long batch, string api)
    {
        if (cache.Layers != layers.Count)
            throw new ArgumentException($"{api}: the KV cache has {cache.Layers} layers but the model has {layers.Count}", nameof(cache));
        if (cache.Length > 0 && cache.Batch != batch)
            throw new ArgumentException($"{api}: the KV cache holds batch {cache.Batch} but input_ids has batch {batch}", nameof(cache));
        if (cache.Length > 0 && !cache.IsOn(embed_tokens.weight!.device))
            throw new ArgumentException($"{api}: the KV cache is on another device than the model", nameof(cache));
    }
}

/// <summary>
/// Hugging Face <c>ForCausalLMLoss</c>: logits at position t predict labels at t+1; positions labelled −100 (prompt
/// and padding) are ignored; the mean is over the remaining tokens. Logits are upcast to float32 first, as upstream.
/// </summary>
public static class CausalLmLoss
{
    /// <summary>The label value that is not scored.</summary>
    public const long IgnoreIndex = -100;

    /// <summary>Mean shifted cross-entropy of <paramref name="logits"/> [B, S, V] against <paramref name="labels"/> [B, S].</summary>
    public static Tensor Compute(Tensor logits, Tensor labels)
    {
        const string api = "CausalLmLoss.Compute";
        TensorChecks.Check(logits, api, "logits", TensorKind.Float, "batch", "seq", "vocab");
        TensorChecks.Check(labels, api, "labels", TensorKind.Integer, logits.shape[0], logits.shape[1]);
        if (logits.shape[1] < 2) throw new TensorArgumentException($"{api}: a next-token loss needs at least 2 positions; got {logits.shape[1]}", nameof(logits));
        TensorChecks.OnDevice(labels, api, "labels", logits.device);
        using var scope = NewDisposeScope();
        CheckLabels(labels, logits.shape[2], api);
        long s = logits.shape[1], v = logits.shape[2];
        var shiftLogits = logits.narrow(1, 0, s - 1).to_type(ScalarType.Float32).reshape(-1, v);
        var shiftLabels = labels.narrow(1, 1, s - 1).reshape(-1).to_type(ScalarType.Int64);
        return functional.cross_entropy(shiftLogits, shiftLabels, ignore_index: IgnoreIndex)
            .MoveToOuterDisposeScope();
    }

    // cross_entropy's own "target out of bounds" is a native error; say which id and why.
    static void CheckLabels(Tensor labels, long vocab, string api)
    {
        var scored = labels.ne(IgnoreIndex);
        if (!scored.any().item<bool>()) return;
        var ids = labels.masked_select(scored);
        TensorChecks.IdsInRange(ids, api, "labels", 0, vocab, $"labels are vocabulary ids, or {IgnoreIndex} for positions not scored");
    }
}

/// <summary>
/// Step-Audio-EditX's LLM (modeling_step1.py <c>Step1ForCausalLM</c>): <see cref="Step1Model"/> plus an untied
/// <c>lm_head</c>. State-dict keys are upstream's (<c>model.layers.0.self_attn.q_proj.weight</c>, <c>lm_head.weight</c>).
/// </summary>
public sealed class Step1ForCausalLM : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's.
    public Step1Model model;
    /// <summary>Output projection [hidden → vocab], not tied to the embedding (a <see cref="LoraLinear"/> when LoRA targets it).</summary>
    public Module<Tensor, Tensor> lm_head;
#pragma warning restore IDE1006

    /// <summary>The output projection's weight [vocab, hidden], whether or not LoRA wraps it.</summary>
    public Parameter LmHeadWeight => lm_head switch
    {
        Linear l => l.weight!,
        LoraLinear l => l.weight,
        _ => throw new InvalidOperationException("lm_head is neither a Linear nor a LoraLinear"),
    };

    /// <summary>Replaces the output projection (LoRA injection); the state-dict name stays <c>lm_head.weight</c>.</summary>
    public void ReplaceLmHead(Module<Tensor, Tensor> module)
    {
        register_module(nameof(lm_head), null!);
        register_module(nameof(lm_head), module);
        lm_head = module;
    }

    /// <summary>The configuration this was built from.</summary>
    public Step1Config Config => model.Config;

    /// <summary>
    /// Creates the model with random weights. <paramref name="device"/> <c>meta</c> builds shapes only (no memory),
    /// which is how <c>Step1Checkpoint</c> loads real weights and how parameter counts of the 3.5 B model are taken.
    /// </summary>
    public Step1ForCausalLM(Step1Config config, Device? device = null, ScalarType? dtype = null) : base(nameof(Step1ForCausalLM))
    {
        model = new Step1Model(config, device, dtype);
        lm_head = Linear(config.HiddenSize, config.VocabSize, hasBias: false, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>Logits [B, S, vocab] for <paramref name="inputIds"/> [B, S].</summary>
    public override Tensor forward(Tensor inputIds) => forward(inputIds, null, null);

    /// <summary>Logits with an optional KV cache and hidden-state capture (see <see cref="Step1Model.forward(Tensor, Step1KvCache?, List{Tensor}?)"/>).</summary>
    public Tensor forward(Tensor inputIds, Step1KvCache? cache, List<Tensor>? hiddenStates = null)
    {
        using var scope = NewDisposeScope();
        var h = model.Forward(inputIds, cache, hiddenStates, "Step1ForCausalLM.forward");
        return lm_head.call(h).MoveToOuterDisposeScope();
    }

    /// <summary>Logits and the shifted next-token loss (<see cref="CausalLmLoss"/>) for right-padded labels.</summary>
    public (Tensor Logits, Tensor Loss) forward(Tensor inputIds, Tensor labels)
    {
        Step1Model.CheckTokenIds(inputIds, Config.VocabSize, "Step1ForCausalLM.forward");
        TensorChecks.Check(labels, "Step1ForCausalLM.forward", "labels", TensorKind.Integer, inputIds.shape[0], inputIds.shape[1]);
        var logits = forward(inputIds);
        return (logits, CausalLmLoss.Compute(logits, labels));
    }
}
