namespace StepAudio.Llm;

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
    /// The prompt ids for this record. <c>clone</c> (and the seed's <c>pronunciation</c>, which upstream does through
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
