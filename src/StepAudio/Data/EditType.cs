namespace StepAudio.Data;

/// <summary>
/// What a prompt → target pair teaches (the manifest's <c>edit_type</c>). The first seven are upstream's
/// (Step-Audio-EditX <c>edit(..., edit_type, edit_info)</c>); <see cref="Pronunciation"/> is the seed's.
/// </summary>
/// <remarks>
/// Upstream has no pronunciation edit: polyphone control is a <see cref="Clone"/> whose target text carries pinyin
/// (e.g. <c>guo4</c>), and dialect tags such as <c>[Sichuanese]</c> go before the text. A manifest may still say
/// <c>pronunciation</c>; it is trained as clone with the texts as written.
/// </remarks>
public enum EditType
{
    /// <summary>Zero-shot voice clone: the target says <c>target_text</c> in the prompt speaker's voice.</summary>
    Clone,
    /// <summary>Emotion edit; <c>edit_info</c> names it (happy, sad, angry, ..., remove).</summary>
    Emotion,
    /// <summary>Speaking-style edit; <c>edit_info</c> names it (whisper, serious, child, ..., remove).</summary>
    Style,
    /// <summary>Remove silent portions; takes no text or edit_info upstream.</summary>
    Vad,
    /// <summary>Remove noise; takes no text or edit_info upstream.</summary>
    Denoise,
    /// <summary>Add non-verbal sounds; <c>target_text</c> carries tags such as <c>[Laughter]</c> or <c>[Breathing]</c>.</summary>
    Paralinguistic,
    /// <summary>Speed edit; <c>edit_info</c> is faster, slower, more faster or more slower.</summary>
    Speed,
    /// <summary>The seed's name for a clone whose target text spells pronunciations in pinyin (see remarks).</summary>
    Pronunciation,
}
