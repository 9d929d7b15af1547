using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using StepAudio.Checkpoints;
using StepAudio.Config;
using StepAudio.Data;
using StepAudio.Features;
using StepAudio.Llm;
using static TorchSharp.torch;

namespace StepAudio.Training;

/// <summary>
/// The layout of an exported training-data folder, read by <c>scripts/stepaudio_data.py</c> with torch alone:
/// per split <c>{split}.safetensors</c> (LLM items <c>llm.{i}.input_ids</c>/<c>llm.{i}.labels</c> int64 [L]; flow
/// clips <c>flow.{j}.speech_token</c> int64 [T, 2], <c>flow.{j}.speech_feat</c> float32 [T_mel, 80],
/// <c>flow.{j}.embedding</c> float32 [D], CosyVoice's batch names) and <c>{split}.jsonl</c> (one line per item: where
/// it came from, its lengths and keys), plus <c>metadata.json</c>, the <c>config.yaml</c> it came from and a README.
/// </summary>
public static class TrainingDataFiles
{
    /// <summary>The <c>format</c> value of <c>metadata.json</c>.</summary>
    public const string FormatName = "stepaudio-training-data";
    /// <summary>Bumped whenever keys or their meaning change; the reader refuses other versions.</summary>
    public const int FormatVersion = 1;
    /// <summary>Ids, mel parameters, splits.</summary>
    public const string MetadataFile = "metadata.json";
    /// <summary>The resolved config the examples were built from.</summary>
    public const string ConfigFile = "config.yaml";
    /// <summary>What the folder is and how to read it.</summary>
    public const string ReadmeFile = "README.md";

    /// <summary>Tensor key of LLM item <paramref name="i"/>'s <paramref name="field"/> (<c>input_ids</c>, <c>labels</c>).</summary>
    public static string LlmKey(int i, string field) => $"llm.{i}.{field}";
    /// <summary>Tensor key of flow clip <paramref name="j"/>'s <paramref name="field"/> (<c>speech_token</c>, <c>speech_feat</c>, <c>embedding</c>).</summary>
    public static string FlowKey(int j, string field) => $"flow.{j}.{field}";

    // Paths with CJK letters or '+' stay readable in the index and metadata.
    static readonly JsonSerializerOptions Line = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    static readonly JsonSerializerOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };

    static readonly string[] LlmFields = ["input_ids", "labels"];
    static readonly string[] FlowFields = ["speech_token", "speech_feat", "embedding"];

    /// <summary>Writes <c>{name}.safetensors</c> and <c>{name}.jsonl</c> of <paramref name="split"/> into <paramref name="dir"/>.</summary>
    public static void WriteSplit(string dir, string name, TrainingSplit split)
    {
        var tensors = new Dictionary<string, Func<Tensor>>(StringComparer.Ordinal);
        var entries = new List<(string, ScalarType, long[])>();
        void Add(string key, ScalarType dtype, long[] shape, Func<Tensor> make)
        {
            entries.Add((key, dtype, shape));
            tensors[key] = make;
        }
        for (int i = 0; i < split.Llm.Count; i++)
        {
            var example = split.Llm[i].Example;
            Add(LlmKey(i, "input_ids"), ScalarType.Int64, [example.Length], () => tensor(example.InputIds));
            Add(LlmKey(i, "labels"), ScalarType.Int64, [example.Length], () => tensor(example.Labels));
        }
        for (int j = 0; j < split.Flow.Count; j++)
        {
            var clip = split.Flow[j];
            Add(FlowKey(j, "speech_token"), ScalarType.Int64, clip.Token.shape, () => clip.Token);
            Add(FlowKey(j, "speech_feat"), ScalarType.Float32, clip.Feat.shape, () => clip.Feat);
            Add(FlowKey(j, "embedding"), ScalarType.Float32, clip.Embedding.shape, () => clip.Embedding);
        }
        SafetensorsFile.SaveStreaming(Path.Combine(dir, name + ".safetensors"), entries, key => tensors[key](),
            new Dictionary<string, string>
            {
                ["split"] = name,
                ["llm_items"] = split.Llm.Count.ToString(CultureInfo.InvariantCulture),
                ["flow_clips"] = split.Flow.Count.ToString(CultureInfo.InvariantCulture),
            });
        AtomicFile.WriteAllText(Path.Combine(dir, name + ".jsonl"), IndexLines(split));
    }

    static string IndexLines(TrainingSplit split)
    {
        var flowOfLlm = split.Joint.ToDictionary(p => p.Llm, p => p.Flow);
        var text = new StringBuilder();
        for (int i = 0; i < split.Llm.Count; i++)
        {
            var (r, example) = (split.Llm[i].Record, split.Llm[i].Example);
            var line = RecordFields("llm", i, r);
            line["prompt_audio_path"] = r.PromptAudioPath;
            line["target_audio_path"] = r.TargetAudioPath;
            line["length"] = example.Length;
            line["prompt_length"] = Array.FindIndex(example.Labels, l => l != CausalLmLoss.IgnoreIndex);
            line["scored"] = split.Llm[i].TargetTokens;
            line["flow_index"] = flowOfLlm.TryGetValue(i, out var j) ? j : null;
            line["keys"] = Keys(LlmFields, f => LlmKey(i, f));
            text.Append(line.ToJsonString(Line)).Append('\n');
        }
        for (int j = 0; j < split.Flow.Count; j++)
        {
            var clip = split.Flow[j];
            var line = RecordFields("flow", j, clip.Record);
            line["audio_path"] = clip.Path;
            line["token_frames"] = clip.TokenFrames;
            line["feat_frames"] = clip.Feat.shape[0];
            line["valid_frames"] = clip.ValidFrames;
            line["keys"] = Keys(FlowFields, f => FlowKey(j, f));
            text.Append(line.ToJsonString(Line)).Append('\n');
        }
        return text.ToString();
    }

    static JsonObject RecordFields(string kind, int index, ManifestRecord r) => new()
    {
        ["kind"] = kind, ["index"] = index, ["manifest"] = r.ManifestPath, ["line"] = r.Line,
        ["edit_type"] = r.EditType.ToManifestName(),
        ["edit_info"] = r.EditInfo, ["speaker_id"] = r.SpeakerId,
    };

    static JsonObject Keys(string[] fields, Func<string, string> key)
    {
        var o = new JsonObject();
        foreach (var f in fields) o[f] = key(f);
        return o;
    }

    /// <summary>
    /// <c>metadata.json</c>: the ids a PyTorch trainer needs to read the items as ours do (audio token offset, special
    /// ids, ignore index, which side the loss shifts), the mel parameters, the front end, and per split its files and counts.
    /// </summary>
    public static JsonObject Metadata(StepAudioConfig config, TrainMode mode, string? runDir, string frontEnd, Step1Config? llm,
        int embeddingDim, IReadOnlyList<(string Name, string Manifest, TrainingSplit Split)> splits)
    {
        var splitsJson = new JsonObject();
        foreach (var (name, manifest, split) in splits)
            splitsJson[name] = new JsonObject
            {
                ["manifest"] = Path.GetFullPath(manifest), ["records"] = split.Records,
                ["tensors"] = name + ".safetensors", ["index"] = name + ".jsonl",
                ["llm_items"] = split.Llm.Count, ["flow_clips"] = split.Flow.Count, ["joint_pairs"] = split.Joint.Count,
                ["scored_tokens"] = split.Llm.Sum(i => (long)i.TargetTokens),
                ["filtered"] = new JsonArray(split.Filtered.Select(f => (JsonNode)JsonValue.Create(f)).ToArray()),
            };
        var mel = FeatureParams.StepAudio.Mel;
        return new JsonObject
        {
            ["format"] = FormatName,
            ["version"] = FormatVersion,
            ["toolkit"] = RunFolder.ToolkitVersion,
            ["created"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["run"] = runDir,
            ["config"] = config.SourcePath,
            ["mode"] = mode.ToString().ToLowerInvariant(),
            ["seed"] = config.Seed,
            ["audio_front_end"] = frontEnd,
            ["llm"] = llm is null ? null : new JsonObject
            {
                ["vocab_size"] = llm.VocabSize, ["audio_token_offset"] = llm.AudioTokenOffset, ["audio_codes"] = ManifestReader.MixedTokenCount,
                ["bos_token_id"] = llm.BosTokenId, ["eos_token_id"] = llm.EosTokenId, ["pad_token_id"] = llm.PadTokenId,
                ["ignore_index"] = CausalLmLoss.IgnoreIndex,
                ["labels"] = "aligned with input_ids (-100 on the prompt); the model shifts: logits[:, :-1] predict labels[:, 1:], as Hugging Face causal LMs",
                ["tokenizer"] = config.Model.Llm.TokenizerPath ?? (config.Model.Llm.ModelPath is { } p ? Path.Combine(p, "tokenizer.model") : null),
                ["base"] = config.Model.Llm.ModelPath ?? "preset " + config.Model.Llm.Preset,
            },
            ["flow"] = new JsonObject
            {
                ["mel"] = JsonNode.Parse(FeatureParams.StepAudio.ToJson()),
                ["mel_frame_rate"] = (double)mel.SamplingRate / mel.HopSize,
                ["token_frame_rate"] = 25, ["mel_frames_per_token_frame"] = 2,
                ["speech_token"] = "dual-codebook frames [T, 2]: (vq02, vq06) of upstream's 2:3 interleaved stream",
                ["embedding_dim"] = embeddingDim,
                ["base"] = config.Model.Flow.ModelPath ?? "preset " + config.Model.Flow.Preset,
            },
            ["splits"] = splitsJson,
        };
    }

    /// <summary>Writes <c>metadata.json</c> and the README.</summary>
    public static void WriteMetadata(string dir, JsonObject metadata)
    {
        AtomicFile.WriteAllText(Path.Combine(dir, MetadataFile), metadata.ToJsonString(Indented));
        AtomicFile.WriteAllText(Path.Combine(dir, ReadmeFile), Readme);
    }

    const string Readme = """
        # StepAudio training data (format stepaudio-training-data, version 1)

        The exact examples `stepaudio finetune` trains on, as plain tensors, so a PyTorch trainer (e.g. several GPUs under
        torchrun) continues from them without this toolkit. Read them with `scripts/stepaudio_data.py` (torch only).

        - `{split}.safetensors`: per LLM item `llm.{i}.input_ids` and `llm.{i}.labels` (int64 [L]; labels are -100 on the
          prompt and equal input_ids on the scored target audio tokens and EOS; the loss shifts by one as Hugging Face
          causal LMs do); per flow clip `flow.{j}.speech_token` (int64 [T, 2]), `flow.{j}.speech_feat` (float32 log-mel
          [T_mel, 80]) and `flow.{j}.embedding` (float32 speaker embedding [D]).
        - `{split}.jsonl`: one line per item: its manifest file and line, audio paths, edit type, lengths, tensor keys;
          `flow_index` pairs an LLM item with the flow clip of its target (stage 3).
        - `metadata.json`: token ids (audio token offset, pad, eos, ignore index), mel parameters, the front end that
          made the tokens, counts and the records `data.filter` left out.
        - `config.yaml`: the resolved config the examples were built from.

        Batches: LLM items right-padded with pad_token_id and labels -100; flow clips padded with 0 plus lengths
        (`speech_token_len`, `speech_feat_len`), as `stepaudio_data.collate_llm` / `collate_flow` do.
        """;
}
