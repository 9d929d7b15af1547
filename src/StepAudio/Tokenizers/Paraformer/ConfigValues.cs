using System.Text.Json;

namespace StepAudio.Tokenizers.Paraformer;

/// <summary>Typed reads of config values (JSON, or YAML converted to JSON) that report problems as <see cref="InputException"/>s.</summary>
static class ConfigValues
{
    const string Fix = "use the config.yaml shipped with the model";

    public static int Int(JsonElement e, string source, string section, string key, int fallback)
    {
        if (!e.TryGetProperty(key, out var v)) return fallback;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i)) return i;
        throw Bad(source, section, key, v, "an integer");
    }

    public static double Double(JsonElement e, string source, string section, string key, double fallback)
    {
        if (!e.TryGetProperty(key, out var v)) return fallback;
        if (v.ValueKind == JsonValueKind.Number) return v.GetDouble();
        throw Bad(source, section, key, v, "a number");
    }

    public static bool Bool(JsonElement e, string source, string section, string key, bool fallback)
    {
        if (!e.TryGetProperty(key, out var v)) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Bad(source, section, key, v, "true or false"),
        };
    }

    public static string Text(JsonElement e, string source, string section, string key, string fallback)
    {
        if (!e.TryGetProperty(key, out var v)) return fallback;
        if (v.ValueKind == JsonValueKind.String) return v.GetString()!;
        throw Bad(source, section, key, v, "a string");
    }

    public static int[] IntList(JsonElement e, string source, string section, string key, int[] fallback)
    {
        if (!e.TryGetProperty(key, out var v)) return fallback;
        if (v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out _)))
            return v.EnumerateArray().Select(x => x.GetInt32()).ToArray();
        throw Bad(source, section, key, v, "a list of integers");
    }

    static InputException Bad(string source, string section, string key, JsonElement v, string what) =>
        new(source, null, $"{section}.{key}", $"must be {what}, got {Clip(v.GetRawText())}", Fix);

    static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
