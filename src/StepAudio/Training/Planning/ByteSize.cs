using System.Globalization;
using System.Text.RegularExpressions;

namespace StepAudio.Training.Planning;

/// <summary>Memory sizes as people write them: <c>16GB</c> (10⁹), <c>512MiB</c> (2²⁰), <c>1.5 GiB</c>, plain bytes.</summary>
public static partial class ByteSize
{
    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();

    /// <summary>Parses <paramref name="text"/>; false (and 0) for anything that is not a positive size.</summary>
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        var m = Pattern().Match(text ?? "");
        if (!m.Success || !double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return false;
        var unit = m.Groups[2].Value.ToLowerInvariant();
        bool binary = unit.Contains('i');
        int power = unit.Length == 0 || unit == "b" ? 0 : "kmgt".IndexOf(unit[0]) + 1;
        double scaled = value * Math.Pow(binary ? 1024 : 1000, power);
        if (scaled < 1 || scaled > long.MaxValue / 2) return false;
        bytes = (long)scaled;
        return true;
    }

    /// <summary>A size in binary units with one decimal (<c>1.5 GiB</c>, <c>230.0 MiB</c>).</summary>
    public static string Format(long bytes)
    {
        var ci = CultureInfo.InvariantCulture;
        double b = Math.Abs((double)bytes);
        string sign = bytes < 0 ? "-" : "";
        return b >= 1 << 30 ? sign + (b / (1 << 30)).ToString("F2", ci) + " GiB"
            : b >= 1 << 20 ? sign + (b / (1 << 20)).ToString("F1", ci) + " MiB"
            : sign + (b / 1024).ToString("F1", ci) + " KiB";
    }
}
