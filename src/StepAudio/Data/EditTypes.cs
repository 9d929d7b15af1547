namespace StepAudio.Data;

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
