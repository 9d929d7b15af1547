namespace StepAudio;

/// <summary>
/// A problem with something the user supplied (config, manifest, audio file), reported as
/// <c>file:line: field: what is wrong — what to do</c>. Line and field are optional.
/// </summary>
public sealed class InputException : Exception
{
    public InputException(string file, int? line, string? field, string problem, string fix, Exception? inner = null)
        : base(Format(file, line, field, problem, fix), inner)
    {
        File = file; Line = line; Field = field; Problem = problem; Fix = fix;
    }

    /// <summary>The file the problem is in.</summary>
    public string File { get; }
    /// <summary>1-based line, when known.</summary>
    public int? Line { get; }
    /// <summary>The field or key, when the problem is in one.</summary>
    public string? Field { get; }
    /// <summary>What is wrong.</summary>
    public string Problem { get; }
    /// <summary>What to do about it.</summary>
    public string Fix { get; }

    /// <summary>
    /// Runs <paramref name="read"/>, which takes values out of a parsed JSON file; a value of the wrong type or shape
    /// (what System.Text.Json reports as InvalidOperation, Format, Overflow, KeyNotFound or, when deserializing, Json;
    /// a missing node read through <c>!</c> as NullReference) becomes an
    /// <see cref="InputException"/> naming <paramref name="file"/>.
    /// </summary>
    public static T ReadingJson<T>(string file, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException
                                      or KeyNotFoundException or IndexOutOfRangeException or ArgumentException
                                      or System.Text.Json.JsonException or NullReferenceException)
        {
            throw new InputException(file, null, null, "a value has the wrong type or shape: " + e.Message,
                "compare the file with one the tool wrote, or re-download it", e);
        }
    }

    /// <summary>The one-line form used in reports and exception messages.</summary>
    public static string Format(string file, int? line, string? field, string problem, string fix) =>
        $"{file}{(line is { } l ? ":" + l : "")}: {(field != null ? field + ": " : "")}{problem}" +
        (string.IsNullOrEmpty(fix) ? "" : $" — {fix}");
}
