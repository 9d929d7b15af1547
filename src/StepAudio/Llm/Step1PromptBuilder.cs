using System.Security.Cryptography;
using System.Text;

namespace StepAudio.Llm;

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
