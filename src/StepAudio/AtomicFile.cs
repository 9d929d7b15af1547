using System.Text;

namespace StepAudio;

/// <summary>Writes a file through a temporary file and a rename, so a failure never leaves it half-written.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="text"/> (UTF-8, no BOM) to <paramref name="path"/>.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, tmp => File.WriteAllText(tmp, text, new UTF8Encoding(false)));

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/>.</summary>
    public static void WriteAllBytes(string path, byte[] bytes) =>
        Write(path, tmp => File.WriteAllBytes(tmp, bytes));

    /// <summary>
    /// Calls <paramref name="write"/> on a temporary path beside <paramref name="path"/>, then renames it into place
    /// (creating the folder). The temporary name is unique per call, so concurrent writers of one path never share
    /// it: the last rename wins and every reader sees one whole file.
    /// </summary>
    public static void Write(string path, Action<string> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = $"{full}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            write(tmp);
            File.Move(tmp, full, true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
