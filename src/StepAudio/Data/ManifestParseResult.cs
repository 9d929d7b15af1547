namespace StepAudio.Data;

/// <summary>What <see cref="ManifestReader.Parse"/> found: the records that parsed and every problem on the way.</summary>
public sealed record ManifestParseResult(string ManifestPath, IReadOnlyList<ManifestRecord> Records,
    IReadOnlyList<DataProblem> Problems)
{
    /// <summary>Whether any problem is an error.</summary>
    public bool HasErrors => Problems.Any(p => p.IsError);
}
