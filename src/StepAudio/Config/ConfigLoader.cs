using System.Globalization;
using System.Reflection;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace StepAudio.Config;

/// <summary>
/// Loads a <see cref="StepAudioConfig"/> from YAML. Every error names the file, the line and the dotted key:
/// unknown keys (with a "did you mean"), wrong types, out-of-range values, keys given twice and bad YAML.
/// Relative paths given in the file resolve against the file's folder (the fork resolved them against the working
/// directory; ours keeps a config meaningful wherever it is run from).
/// </summary>
public static class ConfigLoader
{
    /// <summary>Reads, binds, resolves and validates a config file.</summary>
    public static StepAudioConfig Load(string path)
    {
        var full = Path.GetFullPath(path);
        string text;
        try { text = StrictUtf8.GetString(File.ReadAllBytes(full)).TrimStart('\uFEFF'); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException(full, null, null, "cannot read the config: " + e.Message, "check the --config path");
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new InputException(full, null, null, $"not valid UTF-8 (byte {e.Index})", "save the file as UTF-8");
        }
        return Parse(text, full);
    }

    /// <summary>Binds YAML text as if read from <paramref name="sourcePath"/> (used for errors and relative paths).</summary>
    public static StepAudioConfig Parse(string yaml, string sourcePath)
    {
        if (string.IsNullOrWhiteSpace(yaml))
            throw new InputException(sourcePath, null, null, "the config file is empty", "start from configs/tiny.yaml");
        CheckStructure(yaml, sourcePath);
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e)
        {
            throw new InputException(sourcePath, (int)e.Start.Line, null, "invalid YAML: " + Inner(e).Message,
                "fix the YAML syntax (indentation, colons, quotes)");
        }
        var config = new StepAudioConfig { SourcePath = sourcePath };
        var binder = new Binder(sourcePath);
        if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is not YamlScalarNode { Value: null or "" })
        {
            if (stream.Documents[0].RootNode is not YamlMappingNode root)
                throw new InputException(sourcePath, Line(stream.Documents[0].RootNode), null,
                    "the config must be a mapping of sections (model:, data:, optim: ...)", "see configs/tiny.yaml");
            binder.BindRoot(root, config);
        }
        config.KeyLines = binder.Lines;
        ConfigValidator.Validate(config);
        return config;
    }

    static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Deepest nesting a config may have; the real ones use 3.</summary>
    const int MaxDepth = 32;
    /// <summary>Most aliases a config may use.</summary>
    const int MaxAliases = 256;

    /// <summary>
    /// Reads the YAML as a flat event stream (no recursion) and refuses what would make YamlDotNet's tree builder
    /// recurse without end or run out of stack: nesting deeper than <see cref="MaxDepth"/>, an alias to a node that
    /// contains it, or more than <see cref="MaxAliases"/> aliases.
    /// </summary>
    static void CheckStructure(string yaml, string sourcePath)
    {
        var parser = new Parser(new StringReader(yaml));
        var open = new List<string?>();        // anchors of the collections being read, outermost first
        int aliases = 0;
        try
        {
            while (parser.MoveNext())
            {
                var e = parser.Current!;
                switch (e)
                {
                    case YamlDotNet.Core.Events.MappingStart m:
                        Open(m.Anchor.IsEmpty ? null : m.Anchor.Value, e);
                        break;
                    case YamlDotNet.Core.Events.SequenceStart q:
                        Open(q.Anchor.IsEmpty ? null : q.Anchor.Value, e);
                        break;
                    case YamlDotNet.Core.Events.MappingEnd or YamlDotNet.Core.Events.SequenceEnd:
                        open.RemoveAt(open.Count - 1);
                        break;
                    case YamlDotNet.Core.Events.AnchorAlias a:
                        if (++aliases > MaxAliases)
                            throw new InputException(sourcePath, (int)e.Start.Line, null, $"more than {MaxAliases} YAML aliases",
                                "write the values out; configs do not need anchors");
                        if (open.Contains(a.Value.Value))
                            throw new InputException(sourcePath, (int)e.Start.Line, null,
                                $"the alias *{a.Value.Value} refers to a node that contains it", "remove the self-reference");
                        break;
                }
            }
        }
        catch (YamlException e)
        {
            throw new InputException(sourcePath, (int)e.Start.Line, null, "invalid YAML: " + Inner(e).Message,
                "fix the YAML syntax (indentation, colons, quotes)");
        }

        void Open(string? anchor, YamlDotNet.Core.Events.ParsingEvent e)
        {
            open.Add(anchor);
            if (open.Count > MaxDepth)
                throw new InputException(sourcePath, (int)e.Start.Line, null, $"nested deeper than {MaxDepth} levels",
                    "a config has sections, keys and short lists; see configs/tiny.yaml");
        }
    }

    static Exception Inner(Exception e) => e.InnerException is YamlException inner ? Inner(inner) : e;

    internal static int Line(YamlNode node) => (int)node.Start.Line;

    /// <summary>Walks YAML mappings onto config objects by snake_case property name.</summary>
    sealed class Binder(string file)
    {
        public Dictionary<string, int> Lines { get; } = new();

        public void BindRoot(YamlMappingNode root, StepAudioConfig config)
        {
            foreach (var (keyNode, value) in root.Children)
            {
                var key = Key(keyNode);
                if (key != "basic") continue;
                // The fork keeps seed/device/train_mode/... under `basic:`; they are top-level keys here.
                if (value is not YamlMappingNode basic)
                    throw Error(keyNode, "basic", "expected a mapping", "indent the basic: keys under it");
                Bind(basic, config, "", allowed: BasicKeys, sectionForErrors: "basic");
            }
            Bind(root, config, "", skip: "basic");
        }

        static readonly string[] BasicKeys = { "seed", "device", "max_epoch", "log_interval", "val_interval", "train_mode" };

        void Bind(YamlMappingNode map, object target, string prefix, string? skip = null, string[]? allowed = null,
            string? sectionForErrors = null)
        {
            var props = Properties(target.GetType());
            foreach (var (keyNode, value) in map.Children)
            {
                var key = Key(keyNode);
                if (key == skip) continue;
                var path = prefix + key;
                var shown = sectionForErrors != null ? sectionForErrors + "." + key : path;
                if (!props.TryGetValue(key, out var prop) || (allowed != null && !allowed.Contains(key)))
                {
                    var candidates = allowed ?? props.Keys.ToArray();
                    var hint = Suggest(key, candidates);
                    throw Error(keyNode, shown, "unknown key",
                        hint != null ? $"did you mean '{hint}'?" : "valid keys here: " + string.Join(", ", candidates));
                }
                if (Lines.ContainsKey(path))
                    throw Error(keyNode, shown, $"given twice (first on line {Lines[path]})", "keep one of them");
                Lines[path] = Line(keyNode);
                var type = prop.PropertyType;
                if (IsSection(type))
                {
                    if (value is YamlScalarNode { Value: null or "" or "~" }) continue; // `section:` left empty
                    if (value is not YamlMappingNode sub)
                        throw Error(value, shown, "expected a section (a mapping of keys)", "indent its keys under it");
                    Bind(sub, prop.GetValue(target)!, path + ".");
                }
                else
                {
                    prop.SetValue(target, Convert(value, type, shown, prop));
                }
            }
        }

        object? Convert(YamlNode node, Type type, string key, PropertyInfo prop)
        {
            bool nullable = Nullable.GetUnderlyingType(type) != null
                            || new NullabilityInfoContext().Create(prop).WriteState == NullabilityState.Nullable;
            if (type == typeof(List<string>))
            {
                if (node is not YamlSequenceNode seq)
                    throw Error(node, key, "expected a list such as [\"q_proj\", \"k_proj\"]", "write it as a YAML list");
                return seq.Children.Select(c => c is YamlScalarNode s && s.Value != null
                    ? s.Value
                    : throw Error(c, key, "list items must be strings", "write each item as a plain string")).ToList();
            }
            if (node is not YamlScalarNode scalar)
                throw Error(node, key, $"expected a single {TypeName(type)}, got a {(node is YamlSequenceNode ? "list" : "mapping")}",
                    "write one value");
            var raw = scalar.Value;
            bool isNull = scalar.Style == ScalarStyle.Plain && (raw is null or "" or "~" or "null" or "Null" or "NULL");
            if (isNull)
            {
                if (nullable || type == typeof(string) && nullable) return null;
                throw Error(node, key, $"needs a {TypeName(type)}, got nothing", "give a value or remove the key");
            }
            var t = Nullable.GetUnderlyingType(type) ?? type;
            var text = raw!;
            if (t == typeof(string)) return text;
            if (t == typeof(int))
                return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i
                    : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue ? (int)d
                    : throw Error(node, key, $"expected a whole number, got '{text}'", "write an integer such as 4");
            if (t == typeof(double))
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d2) ? d2
                    : throw Error(node, key, $"expected a number, got '{text}'", "write a number such as 1e-4 or 0.5");
            if (t == typeof(bool))
                return text.ToLowerInvariant() switch
                {
                    "true" or "yes" or "on" => true,
                    "false" or "no" or "off" => false,
                    _ => throw Error(node, key, $"expected true or false, got '{text}'", "write true or false"),
                };
            if (t.IsEnum)
            {
                var names = Enum.GetNames(t).Select(n => n.ToLowerInvariant()).ToArray();
                var match = Enum.GetNames(t).FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
                return match != null ? Enum.Parse(t, match)
                    : throw Error(node, key, $"'{text}' is not one of {string.Join(" | ", names)}",
                        Suggest(text.ToLowerInvariant(), names) is { } s ? $"did you mean '{s}'?" : "pick one of them");
            }
            throw new NotSupportedException($"config property type {t}");
        }

        InputException Error(YamlNode node, string key, string problem, string fix) =>
            new(file, Line(node), key, problem, fix);

        string Key(YamlNode node) => node is YamlScalarNode { Value: { } v }
            ? v
            : throw Error(node, "(key)", "keys must be plain names", "write `name: value`");
    }

    static bool IsSection(Type t) => t.IsClass && t != typeof(string) && !t.IsGenericType;

    static string TypeName(Type t) => (Nullable.GetUnderlyingType(t) ?? t) switch
    {
        var x when x == typeof(int) => "whole number",
        var x when x == typeof(double) => "number",
        var x when x == typeof(bool) => "true/false",
        var x when x.IsEnum => "choice",
        _ => "value",
    };

    /// <summary>Config properties by snake_case YAML key.</summary>
    internal static Dictionary<string, PropertyInfo> Properties(Type t) => t
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && p.GetCustomAttribute<ConfigIgnoreAttribute>() == null)
        .ToDictionary(p => SnakeCase(p.Name));

    /// <summary><c>LoraTargetModules</c> → <c>lora_target_modules</c>; digits stay attached (<c>Stage1Epochs</c> → <c>stage1_epochs</c>).</summary>
    public static string SnakeCase(string name)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }

    /// <summary>The closest candidate within a small edit distance, for "did you mean".</summary>
    public static string? Suggest(string key, IEnumerable<string> candidates)
    {
        string? best = null;
        double bestDistance = double.MaxValue;
        foreach (var c in candidates)
        {
            var k = key.ToLowerInvariant();
            // A shared stem (optimiser → optim) counts as close even when the edit distance is not.
            // The longest shared stem wins among those (lora_rank → lora_r, not lora).
            double d = c.Length >= 4 && (k.StartsWith(c, StringComparison.Ordinal) || c.StartsWith(k, StringComparison.Ordinal))
                ? 1 - Math.Min(c.Length, k.Length) / 1000.0 : Levenshtein(k, c);
            if (d < bestDistance) (best, bestDistance) = (c, d);
        }
        return bestDistance <= Math.Max(2, key.Length / 3) ? best : null;
    }

    static int Levenshtein(string a, string b)
    {
        var prev = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            var cur = new int[b.Length + 1];
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            prev = cur;
        }
        return prev[b.Length];
    }
}
