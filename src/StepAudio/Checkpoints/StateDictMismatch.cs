namespace StepAudio.Checkpoints;

/// <summary>
/// How a checkpoint's tensors differ from a module's: keys the module needs but the file lacks, keys the file has but
/// the module does not, and keys whose shapes differ (<c>key: file [..] vs model [..]</c>).
/// </summary>
public sealed record StateDictMismatch(
    IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, IReadOnlyList<string> ShapeMismatches)
{
    /// <summary>True when every key and shape matches.</summary>
    public bool IsEmpty => Missing.Count == 0 && Unexpected.Count == 0 && ShapeMismatches.Count == 0;

    /// <summary>A one-paragraph report listing every problem (at most <paramref name="perList"/> keys per kind).</summary>
    public string Describe(int perList = 20)
    {
        static string List(string what, IReadOnlyList<string> keys, int n) => keys.Count == 0 ? "" :
            $"{keys.Count} {what}: {string.Join(", ", keys.Take(n))}{(keys.Count > n ? $", ... ({keys.Count - n} more)" : "")}; ";
        var text = List("missing", Missing, perList) + List("unexpected", Unexpected, perList) +
                   List("with a different shape", ShapeMismatches, perList);
        return text.Length == 0 ? "all tensors match" : text.TrimEnd(' ', ';');
    }
}
