using System.Globalization;

namespace StepAudio.Training.Planning;

/// <summary>What the operating system says about memory (Linux <c>/proc</c>); null where it says nothing.</summary>
public static class SystemMemory
{
    /// <summary><c>MemAvailable</c> of <c>/proc/meminfo</c> in bytes: what new work can use without swapping.</summary>
    public static long? Available(string meminfo = "/proc/meminfo") => ReadKb(meminfo, "MemAvailable:");

    /// <summary>A kB field of this process's <c>/proc/self/status</c> (<c>VmRSS</c>, <c>VmHWM</c>) in bytes.</summary>
    public static long? Process(string field) => ReadKb("/proc/self/status", field + ":");

    static long? ReadKb(string file, string key)
    {
        try
        {
            if (!File.Exists(file)) return null;
            foreach (var line in File.ReadLines(file))
            {
                if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
                var parts = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return parts.Length > 0 && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var kb) ? kb * 1024 : null;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
