using System.Globalization;
using System.Text;

namespace StepAudio.Config;

/// <summary>Writes a config back as YAML in this toolkit's YAML schema (resolved paths, every default spelled out).</summary>
public static class ConfigWriter
{
    /// <summary>The YAML text of <paramref name="config"/>; <see cref="ConfigLoader.Parse"/> reads it back unchanged.</summary>
    public static string ToYaml(StepAudioConfig config)
    {
        var sb = new StringBuilder();
        Write(sb, config, 0);
        return sb.ToString();
    }

    /// <summary>Writes the YAML to <paramref name="path"/> through a temporary file.</summary>
    public static void Save(StepAudioConfig config, string path)
        => AtomicFile.WriteAllText(path, ToYaml(config));

    static void Write(StringBuilder sb, object section, int indent)
    {
        foreach (var (key, prop) in ConfigLoader.Properties(section.GetType()))
        {
            var value = prop.GetValue(section);
            var pad = new string(' ', indent);
            var type = prop.PropertyType;
            if (type.IsClass && type != typeof(string) && !type.IsGenericType)
            {
                sb.Append(pad).Append(key).Append(":\n");
                Write(sb, value!, indent + 2);
            }
            else
            {
                sb.Append(pad).Append(key).Append(": ").Append(Scalar(value)).Append('\n');
            }
        }
    }

    static string Scalar(object? v) => v switch
    {
        null => "null",
        string s => Quote(s),
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture) is var r && !r.Contains('.') && !r.Contains('E') ? r + ".0" : d.ToString("R", CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        Enum e => e.ToString().ToLowerInvariant(),
        IEnumerable<string> list => "[" + string.Join(", ", list.Select(Quote)) + "]",
        _ => throw new NotSupportedException(v.GetType().Name),
    };

    static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
