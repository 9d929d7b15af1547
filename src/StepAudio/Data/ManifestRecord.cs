namespace StepAudio.Data;

/// <summary>
/// One line of a JSONL manifest: a prompt clip and the target clip the model should produce from it.
/// Audio paths are absolute (relative ones in the file resolve against the manifest's folder).
/// </summary>
/// <param name="ManifestPath">The manifest file this record came from.</param>
/// <param name="Line">1-based line in that file.</param>
/// <param name="PromptAudioPath"><c>prompt_audio_path</c>, resolved.</param>
/// <param name="TargetAudioPath"><c>target_audio_path</c>, resolved.</param>
/// <param name="PromptText"><c>prompt_text</c>: what the prompt clip says (needed when the LLM trains).</param>
/// <param name="TargetText"><c>target_text</c>: what the target clip says (needed when the LLM trains).</param>
/// <param name="EditType"><c>edit_type</c>; <see cref="Data.EditType.Clone"/> when absent, as upstream.</param>
/// <param name="EditInfo"><c>edit_info</c>: the emotion, style or speed asked for.</param>
/// <param name="SpeakerId"><c>speaker_id</c>.</param>
/// <param name="PromptAudioTokens"><c>prompt_audio_tokens</c>: precomputed mixed-stream tokens (0..5119), if any.</param>
/// <param name="TargetAudioTokens"><c>target_audio_tokens</c>: precomputed mixed-stream tokens (0..5119), if any.</param>
/// <param name="SpeakerEmbedding"><c>speaker_embedding</c>: the target's precomputed speaker embedding, if any.</param>
public sealed record ManifestRecord(
    string ManifestPath,
    int Line,
    string PromptAudioPath,
    string TargetAudioPath,
    string? PromptText = null,
    string? TargetText = null,
    EditType EditType = EditType.Clone,
    string? EditInfo = null,
    string? SpeakerId = null,
    IReadOnlyList<int>? PromptAudioTokens = null,
    IReadOnlyList<int>? TargetAudioTokens = null,
    IReadOnlyList<float>? SpeakerEmbedding = null)
{
    /// <summary><c>file:line</c>, for messages.</summary>
    public string Location => $"{ManifestPath}:{Line}";
}
