using System.Text.Json;

namespace StepAudio.Llm;

/// <summary>
/// The Step1 LLM's hyper-parameters under the Hugging Face <c>config.json</c> names
/// (upstream <c>configuration_step1.Step1Config</c>), plus the two facts of Step-Audio-EditX's vocabulary that the
/// prompt code needs: where audio tokens start (<c>&lt;audio_N&gt;</c> = <see cref="AudioTokenOffset"/> + N) and the
/// vq02:vq06 interleave of the mixed audio stream (2:3, spec §2).
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

    /// <summary>The real Step-Audio-EditX LLM (spec §1.1).</summary>
    public static Step1Config StepAudioEditX { get; } = new()
    {
        HiddenSize = 3072, NumHiddenLayers = 32, NumAttentionHeads = 48, NumAttentionGroups = 4,
        IntermediateSize = 8192, VocabSize = 74752, RmsNormEps = 1e-5, MaxSeqLen = 32768,
        BosTokenId = 1, EosTokenId = 3, PadTokenId = 0, AudioTokenOffset = 65536,
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
        using (doc) return FromJson(doc.RootElement, path);
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
