using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace StepAudio.Tokenizers;

/// <summary>
/// The identity of a model made of files: a name plus the sha256 of every file, so that feature-cache entries made
/// with one set of weights are never read for another (a swapped <c>model.pt</c> or codebook rebuilds the tokens).
/// Hashes are memoised per (path, size, modification time): the real Paraformer <c>model.pt</c> is about 1 GB.
/// </summary>
public static class ModelFileIdentity
{
    static readonly ConcurrentDictionary<(string Path, long Length, DateTime Modified), string> Hashes = new();

    /// <summary><c>name:file1=hash12,file2=hash12,…</c> over <paramref name="files"/> (their names, not folders).</summary>
    public static string Of(string name, params string[] files) =>
        name + ":" + string.Join(",", files.Select(f => $"{Path.GetFileName(f)}={Hash(f)[..12]}"));

    /// <summary>Lower-case hex sha256 of a file's bytes.</summary>
    public static string Hash(string path)
    {
        var info = new FileInfo(path);
        return Hashes.GetOrAdd((info.FullName, info.Length, info.LastWriteTimeUtc), k =>
        {
            using var stream = File.OpenRead(k.Path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        });
    }
}
