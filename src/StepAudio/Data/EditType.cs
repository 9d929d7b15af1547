

namespace StepAudio.Data;

/// <summary>
/// What a prompt → target pair teaches (the manifest's <c>edit_type</c>). The first seven are upstream's
/// (Step-Audio-EditX <c>edit(..., edit_type, edit_info)</c>); <see cref="Pronunciation"/> is this toolkit's.
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
    /// <summary>This toolkit's name for a clone whose target text spells pronunciations in pinyin (see remarks).</summary>
    Pronunciation,
}

/// <summary>
/// Manifest names of <see cref="EditType"/> and the <c>edit_info</c> values upstream knows
/// (Step-Audio-EditX README and <c>_build_audio_edit_instruction</c>).
/// </summary>
public static class EditTypes
{
    static readonly string[] Emotions =
    {
        "happy", "angry", "sad", "humour", "confusion", "disgusted", "empathy", "embarrass", "fear", "surprised",
        "excited", "depressed", "coldness", "admiration", "remove",
    };

    static readonly string[] Styles =
    {
        "serious", "arrogant", "child", "older", "girl", "pure", "sister", "sweet", "ethereal", "whisper", "gentle",
        "recite", "generous", "act_coy", "warm", "shy", "comfort", "authority", "chat", "radio", "soulful", "story",
        "vivid", "program", "news", "advertising", "roar", "murmur", "shout", "deeply", "loudly", "remove",
        "exaggerated",
    };

    static readonly string[] Speeds = { "faster", "slower", "more faster", "more slower" };

    /// <summary>The ten paralinguistic tags upstream's model was trained with.</summary>
    public static IReadOnlyList<string> ParalinguisticTags { get; } = new[]
    {
        "[Breathing]", "[Laughter]", "[Surprise-oh]", "[Confirmation-en]", "[Uhm]", "[Surprise-ah]", "[Surprise-wa]",
        "[Sigh]", "[Question-ei]", "[Dissatisfaction-hnn]",
    };

    /// <summary>Every manifest name, in declaration order.</summary>
    public static IReadOnlyList<string> Names { get; } = Enum.GetValues<EditType>().Select(ToManifestName).ToArray();

    /// <summary>The lower-case name used in manifests (<c>clone</c>, <c>emotion</c>, ...).</summary>
    public static string ToManifestName(this EditType type) => type.ToString().ToLowerInvariant();

    /// <summary>Parses a manifest name (case-insensitive, surrounding spaces ignored).</summary>
    public static bool TryParse(string? name, out EditType type)
    {
        var key = name?.Trim().ToLowerInvariant();
        foreach (var t in Enum.GetValues<EditType>())
            if (t.ToManifestName() == key) { type = t; return true; }
        type = EditType.Clone;
        return false;
    }

    /// <summary>Whether the upstream instruction for this edit names an <c>edit_info</c> (emotion, style, speed).</summary>
    public static bool NeedsEditInfo(this EditType type) => type is EditType.Emotion or EditType.Style or EditType.Speed;

    /// <summary>The <c>edit_info</c> values upstream documents for this edit (empty when it takes none).</summary>
    public static IReadOnlyList<string> KnownEditInfo(this EditType type) => type switch
    {
        EditType.Emotion => Emotions,
        EditType.Style => Styles,
        EditType.Speed => Speeds,
        _ => Array.Empty<string>(),
    };
}
