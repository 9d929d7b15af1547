// Mirrors config/prompts.py and tts.py prompt building (clone and edit prompts at token level), and the training examples built from them.
using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace StepAudio.Llm;

/// <summary>
/// The prompt texts of Step-Audio-EditX (config/prompts.py and tts.py <c>_build_audio_edit_instruction</c>, commit
/// aacb90a), verbatim: trailing spaces and doubled spaces included, since the LLM was trained on them.
/// </summary>
public static class Step1PromptTemplates
{
    /// <summary><c>AUDIO_EDIT_SYSTEM_PROMPT</c>.</summary>
    public const string EditSystemPrompt =
        "As a highly skilled audio editing and tuning specialist, you excel in interpreting user instructions and " +
        "applying precise adjustments to meet their needs. Your expertise spans a wide range of enhancement " +
        "capabilities, including but not limited to:\n# Emotional Enhancement\n# Speaking Style Transfer\n" +
        "# Non-linguistic Adjustments\n# Audio Tuning & Editing\nNote: You will receive instructions in natural " +
        "language and are expected to accurately interpret and execute the most suitable audio edits and enhancements.\n";

    /// <summary><c>AUDIO_EDIT_CLONE_SYSTEM_PROMPT_TPL</c> filled in.</summary>
    public static string CloneSystemPrompt(string speaker, string promptText, string promptAudioTokens) =>
        "Generate audio with the following timbre, prosody and speaking style\n\n[speaker_start]\n" +
        $"speaker name: {speaker}\nspeaker prompt text: \n{promptText}\nspeaker audio tokens: \n{promptAudioTokens}\n" +
        "[speaker_end]\n";

    /// <summary>Edit types of <c>StepAudioTTS.edit</c> (besides <c>clone</c>).</summary>
    public static IReadOnlyList<string> EditTypes { get; } =
        new[] { "emotion", "style", "speed", "denoise", "vad", "paralinguistic" };

    /// <summary>
    /// The human-turn instruction for an edit (<c>_build_audio_edit_instruction</c>); <paramref name="audioText"/> is
    /// stripped as upstream does. <paramref name="text"/> is the new text of a paralinguistic edit.
    /// </summary>
    public static string EditInstruction(string editType, string? editInfo, string? audioText, string? text = null)
    {
        var a = audioText?.Trim() ?? "";
        return editType switch
        {
            "emotion" or "speed" => editInfo == "remove"
                ? $"Remove any emotion in the following audio and the reference text is: {a}\n"
                : $"Make the following audio more {editInfo}. The text corresponding to the audio is: {a}\n",
            "style" => editInfo == "remove"
                ? $"Remove any speaking styles in the following audio and the reference text is: {a}\n"
                : $"Make the following audio more {editInfo} style. The text corresponding to the audio is: {a}\n",
            "denoise" =>
                "Remove any noise from the given audio while preserving the voice content clearly. Ensure that the " +
                "speech quality remains intact with minimal distortion, and eliminate all noise from the audio.\n",
            "vad" =>
                "Remove any silent portions from the given audio while preserving the voice content clearly. Ensure " +
                "that the speech quality remains intact with minimal distortion, and eliminate all silence from the audio.\n",
            "paralinguistic" =>
                $"Add some non-verbal sounds to make the audio more natural, the new text is : {text}\n" +
                $"  The text corresponding to the audio is: {a}\n",
            _ => throw new ArgumentException(
                $"edit type '{editType}' is not one of clone, {string.Join(", ", EditTypes)}", nameof(editType)),
        };
    }
}

/// <summary>
/// The mixed audio-token stream of Step-Audio-EditX (tokenizer.py <c>wav2token</c>, <c>merge_vq0206_to_token_str</c>):
/// groups of 2 vq02 codes then 3 vq06 codes (vq06 shifted by the vq02 codebook size 1024), as many whole groups as
/// both streams allow; token N is the piece <c>&lt;audio_N&gt;</c>, id audio-offset + N.
/// </summary>
public static class Step1AudioTokens
{
    /// <summary>The interleaved N values of <paramref name="vq02"/> and <paramref name="vq06"/> codes.</summary>
    public static int[] Interleave(IReadOnlyList<long> vq02, IReadOnlyList<long> vq06, Step1Config? config = null)
    {
        config ??= Step1Config.StepAudioEditX;
        int a = config.InterleaveVq02, b = config.InterleaveVq06;
        int groups = Math.Min(vq02.Count / a, vq06.Count / b);
        var result = new int[groups * (a + b)];
        int o = 0;
        for (int g = 0; g < groups; g++)
        {
            for (int i = 0; i < a; i++) result[o++] = Code(vq02[g * a + i], config.Vq02Codebook, "vq02");
            for (int i = 0; i < b; i++) result[o++] = config.Vq02Codebook + Code(vq06[g * b + i], int.MaxValue, "vq06");
        }
        return result;
    }

    static int Code(long c, int limit, string stream) =>
        c >= 0 && c < limit ? (int)c : throw new ArgumentOutOfRangeException(stream, c, $"{stream} code {c} is out of range");

    /// <summary><c>&lt;audio_N&gt;…</c> for the prompt text.</summary>
    public static string ToText(IEnumerable<int> tokens)
    {
        var sb = new StringBuilder();
        foreach (var n in tokens) sb.Append("<audio_").Append(n).Append('>');
        return sb.ToString();
    }

    /// <summary>LLM token ids (offset + N).</summary>
    public static long[] ToIds(IEnumerable<int> tokens, int audioTokenOffset) =>
        tokens.Select(n => (long)audioTokenOffset + n).ToArray();
}

/// <summary>
/// What one training record contributes to an LLM example: its edit type, texts and the interleaved audio tokens
/// (N values) of the prompt and target audio. <see cref="Speaker"/> is the clone speaker name
/// (<see cref="Step1PromptBuilder.SpeakerId"/> of the prompt wav).
/// </summary>
public sealed record Step1PromptRecord(
    string EditType,
    string? PromptText,
    string? TargetText,
    string? EditInfo,
    IReadOnlyList<int> PromptAudioTokens,
    IReadOnlyList<int> TargetAudioTokens,
    string Speaker)
{
    /// <summary>
    /// The prompt ids for this record. <c>clone</c> (and this toolkit's <c>pronunciation</c>, which upstream does through
    /// clone): the clone prompt with the prompt audio, <c>prompt_text</c> in the system turn, <c>target_text</c> in the
    /// human turn. Any edit type: the edit prompt with the prompt audio as the source and <c>prompt_text</c> as its
    /// transcript (<c>target_text</c> is the new text of <c>paralinguistic</c>). The assistant turn (the target audio)
    /// is added by <see cref="ToExample"/>.
    /// </summary>
    public List<int> BuildPrompt(Step1PromptBuilder builder) => EditType switch
    {
        "clone" or "pronunciation" => builder.Clone(Speaker, PromptText ?? "", PromptAudioTokens, TargetText ?? ""),
        _ => builder.Edit(EditType, EditInfo, PromptText, PromptAudioTokens,
            EditType == "paralinguistic" ? TargetText : null),
    };

    /// <summary>The training example: prompt ‖ target audio ‖ EOS.</summary>
    public Step1TrainingExample ToExample(Step1PromptBuilder builder, int audioTokenOffset, int eosTokenId) =>
        Step1TrainingExample.Build(BuildPrompt(builder), TargetAudioTokens, audioTokenOffset, eosTokenId);
}

/// <summary>
/// Builds the LLM prompt token ids exactly as Step-Audio-EditX's tts.py does, with no chat template:
/// <c>[bos][bot] system… [eot][bot] human… [eot][bot] assistant\n</c>; the model then writes audio tokens and EOS.
/// </summary>
public sealed class Step1PromptBuilder
{
    readonly Step1TextTokenizer tokenizer;
    readonly int bos, bot, eot;

    /// <summary>Uses <paramref name="tokenizer"/> and the special ids (<c>&lt;s&gt;</c> 1, <c>&lt;|BOT|&gt;</c> 4, <c>&lt;|EOT|&gt;</c> 3).</summary>
    public Step1PromptBuilder(Step1TextTokenizer tokenizer, int bos = 1, int bot = 4, int eot = 3)
    {
        // Audio tokens travel as '<audio_N>' text; without those pieces they would be split into characters.
        if (tokenizer.AudioTokenOffset is null)
            throw new InputException(tokenizer.Source, null, null, "the tokenizer has no '<audio_N>' pieces",
                "use Step-Audio-EditX's tokenizer.model (audio tokens are pieces of its vocabulary)");
        this.tokenizer = tokenizer;
        this.bos = bos; this.bot = bot; this.eot = eot;
    }

    /// <summary>
    /// The clone prompt (<c>_encode_audio_edit_clone_prompt</c>): the speaker, its transcript and audio tokens in the
    /// system turn, the text to speak in the human turn. The target text is encoded after a '\n' whose tokens are
    /// then cut, so it carries no dummy-prefix '▁'.
    /// </summary>
    public List<int> Clone(string speaker, string promptText, IEnumerable<int> promptAudioTokens, string targetText)
    {
        var system = Step1PromptTemplates.CloneSystemPrompt(speaker, promptText, Step1AudioTokens.ToText(promptAudioTokens));
        var ids = new List<int> { bos, bot };
        ids.AddRange(tokenizer.Encode("system\n" + system));
        ids.Add(eot);
        ids.Add(bot);
        ids.AddRange(tokenizer.Encode("human\n"));
        int cut = tokenizer.Encode("\n").Count;
        ids.AddRange(tokenizer.Encode("\n" + targetText).Skip(cut));
        ids.Add(eot);
        ids.Add(bot);
        ids.AddRange(tokenizer.Encode("assistant\n"));
        return ids;
    }

    /// <summary>
    /// An edit prompt (<c>_encode_audio_edit_prompt</c>): the fixed edit system prompt, then the instruction for
    /// <paramref name="editType"/> followed by the source audio tokens in the human turn.
    /// </summary>
    public List<int> Edit(string editType, string? editInfo, string? audioText, IEnumerable<int> sourceAudioTokens,
        string? text = null)
    {
        var instruction = Step1PromptTemplates.EditInstruction(editType, editInfo, audioText, text);
        var audio = Step1AudioTokens.ToText(sourceAudioTokens).Trim();
        var ids = new List<int> { bos, bot };
        ids.AddRange(tokenizer.Encode("system\n" + Step1PromptTemplates.EditSystemPrompt));
        ids.Add(eot);
        ids.Add(bot);
        ids.AddRange(tokenizer.Encode("human\n"));
        ids.AddRange(tokenizer.Encode($"{instruction}\n{audio}\n"));
        ids.Add(eot);
        ids.Add(bot);
        ids.AddRange(tokenizer.Encode("assistant\n"));
        return ids;
    }

    /// <summary>
    /// <c>generate_clone_voice_id</c>: <c>"clone_" + sha256(prompt_text UTF-8 ‖ samples)[:16]</c>, the samples being the
    /// raw float32 wav (all channels flattened) — its first and last 1000 when there are more than 2000.
    /// </summary>
    public static string SpeakerId(string promptText, ReadOnlySpan<float> samples)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(promptText));
        if (samples.Length > 2000)
        {
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(samples[..1000]));
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(samples[^1000..]));
        }
        else sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(samples));
        return "clone_" + Convert.ToHexStringLower(sha.GetHashAndReset())[..16];
    }
}

/// <summary>
/// One LLM training sequence (inferred from the inference format of tts.py; StepFun released no SFT code): <c>prompt ‖ target audio ids ‖ EOS</c>,
/// with labels −100 on the prompt so that only the assistant's audio tokens and the EOS are scored.
/// </summary>
public sealed record Step1TrainingExample(long[] InputIds, long[] Labels)
{
    /// <summary>Tokens in the sequence.</summary>
    public int Length => InputIds.Length;

    /// <summary>Builds the example from prompt ids and the target's interleaved audio tokens (N values).</summary>
    public static Step1TrainingExample Build(IReadOnlyList<int> promptIds, IEnumerable<int> targetAudioTokens,
        int audioTokenOffset, int eosTokenId)
    {
        var target = Step1AudioTokens.ToIds(targetAudioTokens, audioTokenOffset);
        if (target.Length == 0) throw new ArgumentException("the target has no audio tokens", nameof(targetAudioTokens));
        var input = new long[promptIds.Count + target.Length + 1];
        var labels = new long[input.Length];
        for (int i = 0; i < promptIds.Count; i++)
        {
            input[i] = promptIds[i];
            labels[i] = CausalLmLoss.IgnoreIndex;
        }
        target.CopyTo(input, promptIds.Count);
        target.CopyTo(labels, promptIds.Count);
        input[^1] = labels[^1] = eosTokenId;
        return new Step1TrainingExample(input, labels);
    }
}

/// <summary>A right-padded batch: input ids (pad id) and labels (−100 on padding), both int64 [B, S].</summary>
public sealed record Step1Batch(Tensor InputIds, Tensor Labels, int[] Indices) : IDisposable
{
    /// <summary>
    /// Pads <paramref name="examples"/> on the right (Step1 ignores attention masks, so padding must come last, where
    /// causal attention never lets a real token see it).
    /// </summary>
    public static Step1Batch Collate(IReadOnlyList<Step1TrainingExample> examples, int padTokenId, int[]? indices = null)
    {
        if (examples.Count == 0) throw new ArgumentException("a batch needs at least one example");
        int len = examples.Max(e => e.Length);
        var ids = new long[examples.Count * len];
        var labels = new long[ids.Length];
        Array.Fill(ids, padTokenId);
        Array.Fill(labels, CausalLmLoss.IgnoreIndex);
        for (int b = 0; b < examples.Count; b++)
        {
            examples[b].InputIds.CopyTo(ids, b * len);
            examples[b].Labels.CopyTo(labels, b * len);
        }
        return new Step1Batch(tensor(ids, new long[] { examples.Count, len }), tensor(labels, new long[] { examples.Count, len }),
            indices ?? Enumerable.Range(0, examples.Count).ToArray());
    }

    /// <summary>
    /// Length-bucketed batches: examples sorted by length, cut into batches of at most <paramref name="maxBatchSize"/>
    /// examples and <paramref name="maxTokens"/> padded tokens, batch order shuffled with <paramref name="seed"/>
    /// (null keeps the sorted order). Returns example indices per batch.
    /// </summary>
    public static List<int[]> Buckets(IReadOnlyList<Step1TrainingExample> examples, int maxBatchSize, int maxTokens,
        int? seed = null)
    {
        if (maxBatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(maxBatchSize), "must be positive");
        var order = Enumerable.Range(0, examples.Count).OrderBy(i => examples[i].Length).ThenBy(i => i).ToList();
        var batches = new List<int[]>();
        var current = new List<int>();
        int longest = 0;
        foreach (var i in order)
        {
            int l = Math.Max(longest, examples[i].Length);
            if (current.Count > 0 && (current.Count + 1 > maxBatchSize || (long)l * (current.Count + 1) > maxTokens))
            {
                batches.Add(current.ToArray());
                current.Clear();
                l = examples[i].Length;
            }
            current.Add(i);
            longest = l;
        }
        if (current.Count > 0) batches.Add(current.ToArray());
        if (seed is { } s)
        {
            var rng = new Random(s);
            for (int k = batches.Count - 1; k > 0; k--)
            {
                int j = rng.Next(k + 1);
                (batches[k], batches[j]) = (batches[j], batches[k]);
            }
        }
        return batches;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        InputIds.Dispose();
        Labels.Dispose();
    }
}
