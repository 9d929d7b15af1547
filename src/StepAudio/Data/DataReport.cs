using StepAudio.Config;

namespace StepAudio.Data;

/// <summary>What <see cref="ManifestValidator"/> found in a set of manifests and their audio.</summary>
/// <param name="Mode">The training mode the data was checked for.</param>
/// <param name="TargetSampleRate">The config's <c>data.sample_rate</c>.</param>
/// <param name="Manifests">Each manifest and how many records parsed from it.</param>
/// <param name="Records">Records that parsed, over all manifests.</param>
/// <param name="EditTypeCounts">Records per <c>edit_type</c> name.</param>
/// <param name="SpeakerCounts">Records per <c>speaker_id</c> (<c>(none)</c> when absent).</param>
/// <param name="Clips">Each distinct audio file that could be read.</param>
/// <param name="SampleRates">Clips per sample rate.</param>
/// <param name="ChannelCounts">Clips per channel count.</param>
/// <param name="DuplicateRecords">Records repeating an earlier prompt/target pair.</param>
/// <param name="OverlappingRecords">Records in a later manifest sharing audio, or target text and speaker, with an earlier one.</param>
/// <param name="Problems">Every error and warning, in the order found.</param>
/// <param name="Prosody">Pitch and energy of target clips per speaker and edit type; null when not computed.</param>
public sealed record DataReport(
    TrainMode Mode,
    int TargetSampleRate,
    IReadOnlyList<(string Path, int Records)> Manifests,
    int Records,
    IReadOnlyDictionary<string, int> EditTypeCounts,
    IReadOnlyDictionary<string, int> SpeakerCounts,
    IReadOnlyList<AudioClipStats> Clips,
    IReadOnlyDictionary<int, int> SampleRates,
    IReadOnlyDictionary<int, int> ChannelCounts,
    int DuplicateRecords,
    int OverlappingRecords,
    IReadOnlyList<DataProblem> Problems,
    IReadOnlyList<ProsodyGroup>? Prosody = null)
{
    /// <summary>The errors: training would fail or learn from broken data.</summary>
    public IReadOnlyList<DataProblem> Errors => Problems.Where(p => p.IsError).ToList();

    /// <summary>The warnings: worth a look, training still runs.</summary>
    public IReadOnlyList<DataProblem> Warnings => Problems.Where(p => !p.IsError).ToList();

    /// <summary>Whether any error was found.</summary>
    public bool HasErrors => Problems.Any(p => p.IsError);

    /// <summary>Seconds of audio over all distinct clips.</summary>
    public double TotalDuration => Clips.Sum(c => c.Duration);

    /// <summary>The shortest clip in seconds (0 when there are none).</summary>
    public double MinDuration => Clips.Count == 0 ? 0 : Clips.Min(c => c.Duration);

    /// <summary>The longest clip in seconds (0 when there are none).</summary>
    public double MaxDuration => Clips.Count == 0 ? 0 : Clips.Max(c => c.Duration);

    /// <summary>Clips with samples at |x| ≥ 0.999.</summary>
    public int ClippedClips => Clips.Count(c => c.ClippedSamples > 0);

    /// <inheritdoc cref="DataReportText.Render"/>
    public override string ToString() => DataReportText.Render(this);
}

/// <summary>
/// One finding about a manifest or its audio: an error (training would fail or learn the wrong thing) or a warning.
/// Prints as <c>file:line: field: what is wrong — what to do</c>.
/// </summary>
public sealed record DataProblem(bool IsError, string File, int? Line, string? Field, string Problem, string Fix)
{
    public static DataProblem Error(string file, int? line, string? field, string problem, string fix) =>
        new(true, file, line, field, problem, fix);

    public static DataProblem Warning(string file, int? line, string? field, string problem, string fix) =>
        new(false, file, line, field, problem, fix);

    /// <summary>The same problem as an exception.</summary>
    public InputException ToException() => new(File, Line, Field, Problem, Fix);

    /// <inheritdoc/>
    public override string ToString() => InputException.Format(File, Line, Field, Problem, Fix);
}
