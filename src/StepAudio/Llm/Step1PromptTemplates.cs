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
