namespace StepAudio.Data;

/// <summary>
/// One finding about a manifest or its audio: an error (training would fail or learn the wrong thing) or a warning.
/// Prints as <c>file:line: field: what is wrong — what to do</c>.
/// </summary>
public sealed record DataProblem(bool IsError, string File, int? Line, string? Field, string Problem, string Fix)
{
    /// <summary>An error.</summary>
    public static DataProblem Error(string file, int? line, string? field, string problem, string fix) =>
        new(true, file, line, field, problem, fix);

    /// <summary>A warning.</summary>
    public static DataProblem Warning(string file, int? line, string? field, string problem, string fix) =>
        new(false, file, line, field, problem, fix);

    /// <summary>The same problem as an exception.</summary>
    public InputException ToException() => new(File, Line, Field, Problem, Fix);

    /// <inheritdoc/>
    public override string ToString() => InputException.Format(File, Line, Field, Problem, Fix);
}
