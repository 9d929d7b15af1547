using System.Globalization;

namespace StepAudio.Training.Planning;

/// <summary>What the operating system says about memory (Linux <c>/proc</c>); null where it says nothing.</summary>
public static class SystemMemory
{
    /// <summary><c>MemAvailable</c> of <c>/proc/meminfo</c> in bytes: what new work can use without swapping.</summary>
    public static long? Available(string meminfo = "/proc/meminfo") => ReadKb(meminfo, "MemAvailable:");

    static long? ReadKb(string file, string key)
    {
        if (!File.Exists(file)) return null;
        foreach (var line in File.ReadLines(file))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
            var parts = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return parts.Length > 0 && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var kb) ? kb * 1024 : null;
        }
        return null;
    }
}
