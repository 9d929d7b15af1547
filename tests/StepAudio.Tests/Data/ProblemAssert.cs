using StepAudio.Data;

namespace StepAudio.Tests.Data;

internal static class ProblemAssert
{
    /// <summary>Asserts exactly one problem of this kind at file:line/field whose message contains the fragment.</summary>
    public static DataProblem Single(IEnumerable<DataProblem> problems, bool isError, string file, int? line,
        string? field, string fragment)
    {
        var all = problems.ToList();
        var match = all.Where(p => p.IsError == isError && p.File == file && p.Line == line && p.Field == field
                                   && p.Problem.Contains(fragment, StringComparison.Ordinal)).ToList();
        Assert.True(match.Count == 1,
            $"expected one {(isError ? "error" : "warning")} at {file}:{line} {field} containing \"{fragment}\"; got:\n" +
            string.Join("\n", all));
        var text = match[0].ToString();
        Assert.StartsWith(line is { } l ? $"{file}:{l}: " : $"{file}: ", text);
        if (field != null) Assert.Contains($": {field}: ", text);
        Assert.Contains(" — ", text);
        return match[0];
    }
}
