namespace StepAudio.Training;

/// <summary>
/// How every export writes its output folder: checked first (a file, a folder holding what the export reads, or a
/// non-empty folder without <c>--overwrite</c> are errors), filled under a temporary name beside it and renamed into
/// place, so a failed or killed export never leaves a half-written folder.
/// </summary>
public static class ExportFolder
{
    /// <summary>Refuses <paramref name="output"/> when it is a file, is or holds one of <paramref name="reads"/>, or is not empty without <paramref name="overwrite"/>.</summary>
    public static void Check(string output, bool overwrite, IEnumerable<string?> reads)
    {
        if (File.Exists(output))
            throw new InputException(output, null, "OUT", "is a file", "give a folder path for the export");
        // --overwrite deletes OUT: it must not be, or hold, anything the export reads.
        foreach (var p in reads.OfType<string>().Select(Path.GetFullPath))
            if (IsSameOrInside(p, output))
                throw new InputException(output, null, "OUT", $"is or contains {p}, which this export reads",
                    "export into a new folder, then copy its files where they belong");
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any() && !overwrite)
            throw new InputException(output, null, "OUT", "exists and is not empty", "choose another folder, or add --overwrite to replace it");
    }

    /// <summary>
    /// Calls <paramref name="fill"/> on a new temporary folder beside <paramref name="output"/>, then replaces
    /// <paramref name="output"/> with it; returns the files written, relative and sorted. On failure the temporary folder is removed.
    /// </summary>
    public static List<string> Write(string output, Action<string> fill)
    {
        var parent = Path.GetDirectoryName(output)!;
        Directory.CreateDirectory(parent);
        var tmp = Path.Combine(parent, $".{Path.GetFileName(output)}.export-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            fill(tmp);
            var files = Directory.GetFiles(tmp, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(tmp, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
            MoveIntoPlace(tmp, output);
            return files;
        }
        finally
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        }
    }

    static bool IsSameOrInside(string path, string folder)
    {
        var f = Path.TrimEndingDirectorySeparator(folder);
        var p = Path.TrimEndingDirectorySeparator(path);
        return p == f || p.StartsWith(f + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    static void MoveIntoPlace(string tmp, string output)
    {
        string? old = null;
        if (Directory.Exists(output))
        {
            old = Path.Combine(Path.GetDirectoryName(output)!, $".{Path.GetFileName(output)}.old-{Guid.NewGuid():N}");
            Directory.Move(output, old);
        }
        try
        {
            Directory.Move(tmp, output);
        }
        catch
        {
            if (old != null) Directory.Move(old, output);
            throw;
        }
        if (old != null) Directory.Delete(old, true);
    }
}
