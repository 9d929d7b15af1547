using StepAudio.Audio;
using StepAudio.Config;
using StepAudio.Data;
using StepAudio.Flow;
using StepAudio.Llm;
using static TorchSharp.torch;

namespace StepAudio.Training;

/// <summary>One clip as the flow trains on it: dual frames [T, 2], log-mel [T_mel, 80], speaker embedding [D].</summary>
public sealed class FlowClip : IDisposable
{
    internal FlowClip(ManifestRecord record, Tensor token, Tensor feat, Tensor embedding)
    {
        Record = record; Token = token; Feat = feat; Embedding = embedding;
    }

    /// <summary>The first record whose target this clip is.</summary>
    public ManifestRecord Record { get; }
    /// <summary>The WAV file.</summary>
    public string Path => Record.TargetAudioPath;
    /// <summary>Dual-codebook frames, int64 [T, 2].</summary>
    public Tensor Token { get; }
    /// <summary>Log-mel, float32 [T_mel, 80].</summary>
    public Tensor Feat { get; }
    /// <summary>Speaker embedding, float32 [D].</summary>
    public Tensor Embedding { get; }
    /// <summary>Dual frames.</summary>
    public int TokenFrames => (int)Token.shape[0];
    /// <summary>Mel frames the loss covers: min(2·T, T_mel).</summary>
    public int ValidFrames => (int)Math.Min(2 * Token.shape[0], Feat.shape[0]);

    /// <inheritdoc />
    public void Dispose()
    {
        Token.Dispose(); Feat.Dispose(); Embedding.Dispose();
    }
}

/// <summary>One record's LLM example: the inference prompt of its kind ‖ target audio ‖ EOS.</summary>
public sealed record LlmItem(ManifestRecord Record, Step1TrainingExample Example)
{
    /// <summary>Scored positions (target audio tokens and EOS).</summary>
    public int TargetTokens => Example.Labels.Count(l => l != CausalLmLoss.IgnoreIndex);
}

/// <summary>
/// One split (train or val) ready to train on: the LLM examples of its records, the flow clips (each distinct target
/// clip once), and for the joint stage the pairs (LLM item, flow clip) of records that have both. Owns the tensors.
/// </summary>
public sealed class TrainingSplit : IDisposable
{
    /// <summary>The LLM examples (empty when the LLM does not train).</summary>
    public List<LlmItem> Llm { get; } = new();
    /// <summary>The flow clips (empty when the flow does not train).</summary>
    public List<FlowClip> Flow { get; } = new();
    /// <summary>(index into <see cref="Llm"/>, index into <see cref="Flow"/>) per record that has both.</summary>
    public List<(int Llm, int Flow)> Joint { get; } = new();
    /// <summary>Records left out by <c>data.filter</c>, with why.</summary>
    public List<string> Filtered { get; } = new();
    /// <summary>Records read from the manifest.</summary>
    public int Records { get; internal set; }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var c in Flow) c.Dispose();
    }
}

/// <summary>
/// Builds a <see cref="TrainingSplit"/> from manifest records. Training examples are the prompts inference builds
/// (upstream-architecture §1.4–1.6): a clone or pronunciation record trains the clone prompt (speaker name from
/// <c>generate_clone_voice_id</c> of the prompt WAV, its transcript and audio tokens in the system turn, the target
/// text in the human turn); any edit record trains the edit prompt (instruction plus source audio tokens in the human
/// turn). The target audio, then EOS, is the assistant turn. Manifest token fields replace the tokenizer.
/// </summary>
public sealed class TrainingDataBuilder(StepAudioConfig config, IClipFeatureSource features, Step1PromptBuilder? prompts,
    Step1Config? llmConfig)
{
    readonly Dictionary<string, string> speakerNames = new();

    /// <summary>Builds the split; <paramref name="llm"/>/<paramref name="flow"/> say which models train.</summary>
    public TrainingSplit Build(IReadOnlyList<ManifestRecord> records, bool llm, bool flow)
    {
        var split = new TrainingSplit { Records = records.Count };
        var clipIndex = new Dictionary<string, int>();
        var f = config.Data.Filter;
        foreach (var r in records)
        {
            var targetTokens = r.TargetAudioTokens?.ToArray() ?? features.Tokens(r.TargetAudioPath);
            int dualFrames = targetTokens.Length / 5 * 3 + (targetTokens.Length % 5 > 0 ? 3 : 0);
            using var mel = features.Mel(r.TargetAudioPath);
            long tenMs = mel.shape[1] * 2;   // mel frames are 20 ms; the filter counts 10 ms frames as CosyVoice does
            string? why = tenMs < f.MinLength ? $"target shorter than data.filter.min_length ({tenMs} < {f.MinLength} × 10 ms)"
                : tenMs > f.MaxLength ? $"target longer than data.filter.max_length ({tenMs} > {f.MaxLength} × 10 ms)"
                : dualFrames < f.TokenMinLength ? $"target has fewer tokens than data.filter.token_min_length ({dualFrames} dual frames)"
                : dualFrames > f.TokenMaxLength ? $"target has more tokens than data.filter.token_max_length ({dualFrames} > {f.TokenMaxLength} dual frames)"
                : targetTokens.Length == 0 ? "target has no audio tokens" : null;
            if (why != null)
            {
                split.Filtered.Add($"{r.Location}: {why}");
                continue;
            }
            int llmIndex = -1, flowIndex = -1;
            if (llm)
            {
                split.Llm.Add(new LlmItem(r, BuildExample(r, targetTokens)));
                llmIndex = split.Llm.Count - 1;
            }
            if (flow)
            {
                if (!clipIndex.TryGetValue(r.TargetAudioPath, out flowIndex))
                {
                    split.Flow.Add(BuildClip(r, targetTokens, mel));
                    flowIndex = clipIndex[r.TargetAudioPath] = split.Flow.Count - 1;
                }
            }
            if (llmIndex >= 0 && flowIndex >= 0) split.Joint.Add((llmIndex, flowIndex));
        }
        return split;
    }

    /// <summary>The record's LLM example.</summary>
    public Step1TrainingExample BuildExample(ManifestRecord r, int[] targetTokens) =>
        PromptRecord(r, targetTokens).ToExample(prompts!, llmConfig!.AudioTokenOffset, llmConfig.EosTokenId);

    /// <summary>The record as the prompt builder sees it (prompt tokens from the manifest or the tokenizer).</summary>
    public Step1PromptRecord PromptRecord(ManifestRecord r, int[] targetTokens)
    {
        if (prompts is null || llmConfig is null) throw new InvalidOperationException("the LLM is not part of this run");
        var promptTokens = r.PromptAudioTokens?.ToArray() ?? features.PromptTokens(r.PromptAudioPath);
        var kind = r.EditType.ToManifestName();
        string speaker = kind is "clone" or "pronunciation" ? SpeakerName(r) : "";
        return new Step1PromptRecord(kind, r.PromptText, r.TargetText, r.EditInfo, promptTokens, targetTokens, speaker);
    }

    /// <summary>upstream <c>generate_clone_voice_id(prompt_text, prompt_wav)</c> of the record's prompt.</summary>
    string SpeakerName(ManifestRecord r)
    {
        var key = r.PromptAudioPath + "\n" + r.PromptText;
        if (!speakerNames.TryGetValue(key, out var name))
            speakerNames[key] = name = Step1PromptBuilder.SpeakerId(r.PromptText ?? "", FlatSamples(WavFile.Read(r.PromptAudioPath)));
        return name;
    }

    /// <summary>The samples as torchaudio.load's [C, N] tensor flattens them: channel after channel.</summary>
    public static float[] FlatSamples(AudioClip clip) => clip.Channels.SelectMany(c => c).ToArray();

    FlowClip BuildClip(ManifestRecord r, int[] tokens, Tensor mel)
    {
        var dual = DualCodebookTokens.Reshape(tokens);
        var token = tensor(dual).DetachFromDisposeScope();
        var feat = mel.transpose(0, 1).contiguous().DetachFromDisposeScope();
        var embedding = tensor(TargetEmbedding(r)).DetachFromDisposeScope();
        return new FlowClip(r, token, feat, embedding);
    }

    /// <summary>The manifest's precomputed <c>speaker_embedding</c> of the target (checked against the encoder's width), else the encoder's.</summary>
    public float[] TargetEmbedding(ManifestRecord r)
    {
        if (r.SpeakerEmbedding is not { } given) return features.Embedding(r.TargetAudioPath);
        if (given.Count != features.EmbeddingDimension)
            throw new InputException(r.ManifestPath, r.Line, "speaker_embedding",
                $"has {given.Count} values, but the speaker encoder of this run gives {features.EmbeddingDimension}",
                "give the embedding of this run's speaker encoder (CAM++: 192 floats), or remove the field to compute it");
        return given.ToArray();
    }
}
