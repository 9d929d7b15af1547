namespace StepAudio.Evaluation;

/// <summary>What was measured on one generated clip against its target (null: not measured, see <see cref="Error"/>).</summary>
/// <param name="SpeakerSimilarity">Cosine of the speaker encoder's embeddings of generated and target (higher is better).</param>
/// <param name="McdDb">Mel cepstral distortion after DTW, dB (<see cref="SpeechMetrics.Mcd"/>; lower is better).</param>
/// <param name="F0RmseCents">F0 RMSE along the DTW path over frames voiced in both, cents (lower is better; null when none are).</param>
/// <param name="VoicedPairs">Aligned frame pairs voiced in both.</param>
/// <param name="Seconds">Length of the generated clip.</param>
/// <param name="StoppedAtEos">Whether the LLM ended with EOS rather than at the length limit.</param>
/// <param name="Error">Why nothing was generated (e.g. the LLM wrote no audio tokens); null when it was.</param>
public sealed record ClipMetrics(double? SpeakerSimilarity, double? McdDb, double? F0RmseCents, int VoicedPairs,
    double Seconds, bool StoppedAtEos, string? Error = null);

/// <summary>One validation record generated before and after fine-tuning.</summary>
/// <param name="Location">Manifest <c>file:line</c>.</param>
/// <param name="EditType">Manifest edit type (<c>clone</c>, <c>speed</c>, …).</param>
/// <param name="EditInfo">Its <c>edit_info</c>.</param>
/// <param name="Target">The target clip the outputs are measured against.</param>
/// <param name="TargetSeconds">Its length.</param>
/// <param name="Before">With the base models.</param>
/// <param name="After">With the run's best checkpoints.</param>
public sealed record RecordEvaluation(string Location, string EditType, string? EditInfo, string Target, double TargetSeconds,
    ClipMetrics Before, ClipMetrics After);

/// <summary>Means of one side over a group's records (each metric over the records where it was measured).</summary>
/// <param name="SpeakerSimilarity">Mean cosine.</param>
/// <param name="McdDb">Mean MCD, dB.</param>
/// <param name="F0RmseCents">Mean of the per-record F0 RMSE, cents.</param>
/// <param name="Failed">Records that produced no audio.</param>
/// <param name="F0Records">Records with an F0 RMSE (some frame voiced in both): the F0 mean is over these.</param>
public sealed record MetricMeans(double? SpeakerSimilarity, double? McdDb, double? F0RmseCents, int Failed, int F0Records)
{
    /// <summary>The means of <paramref name="clips"/>.</summary>
    public static MetricMeans Of(IReadOnlyList<ClipMetrics> clips) =>
        new(Mean(clips.Select(c => c.SpeakerSimilarity)), Mean(clips.Select(c => c.McdDb)),
            Mean(clips.Select(c => c.F0RmseCents)), clips.Count(c => c.Error != null), clips.Count(c => c.F0RmseCents != null));

    static double? Mean(IEnumerable<double?> values)
    {
        var v = values.OfType<double>().Where(double.IsFinite).ToList();
        return v.Count == 0 ? null : v.Average();
    }

    /// <summary>after − before per metric (null where either is missing).</summary>
    public static MetricMeans Delta(MetricMeans before, MetricMeans after) =>
        new(after.SpeakerSimilarity - before.SpeakerSimilarity, after.McdDb - before.McdDb,
            after.F0RmseCents - before.F0RmseCents, after.Failed - before.Failed, after.F0Records - before.F0Records);
}

/// <summary>One edit type (or <c>overall</c>): its record count and the means before and after fine-tuning.</summary>
public sealed record EvaluationGroup(string Name, int Records, MetricMeans Before, MetricMeans After, MetricMeans Delta);

/// <summary>
/// What <see cref="RunEvaluation"/> found: the validation records of a run generated with the base models
/// (<see cref="BeforeLlm"/>, <see cref="BeforeFlow"/>) and with its best checkpoints (<see cref="AfterLlm"/>,
/// <see cref="AfterFlow"/>; null = that model was not fine-tuned and stays the base), measured against their targets,
/// per edit type and overall. Written to the run folder as <c>eval.json</c> (<see cref="EvaluationReportJson"/>).
/// </summary>
public sealed record EvaluationReport(
    string RunDirectory,
    string Created,
    string ValManifest,
    long Seed,
    double MaxSeconds,
    string BeforeLlm,
    string BeforeFlow,
    string? AfterLlm,
    string? AfterFlow,
    string SpeakerEncoder,
    IReadOnlyList<string> Notes,
    IReadOnlyList<EvaluationGroup> Groups,
    IReadOnlyList<RecordEvaluation> Records)
{
    /// <summary>The name of the group over all records.</summary>
    public const string Overall = "overall";

    /// <summary>Groups per edit type in the manifest's order, then <see cref="Overall"/>.</summary>
    public static List<EvaluationGroup> GroupsOf(IReadOnlyList<RecordEvaluation> records)
    {
        var groups = records.GroupBy(r => r.EditType).Select(g => Group(g.Key, g.ToList())).ToList();
        groups.Add(Group(Overall, records));
        return groups;
    }

    static EvaluationGroup Group(string name, IReadOnlyList<RecordEvaluation> records)
    {
        var before = MetricMeans.Of(records.Select(r => r.Before).ToList());
        var after = MetricMeans.Of(records.Select(r => r.After).ToList());
        return new EvaluationGroup(name, records.Count, before, after, MetricMeans.Delta(before, after));
    }

    /// <summary>
    /// The table every view prints: per group, one row per metric with before, after and after − before; the metric's
    /// name says which way is better.
    /// </summary>
    public IEnumerable<EvaluationRow> Rows()
    {
        foreach (var g in Groups)
        {
            yield return new EvaluationRow(g.Name, g.Records, "speaker cosine ↑", g.Before.SpeakerSimilarity, g.After.SpeakerSimilarity, g.Delta.SpeakerSimilarity);
            yield return new EvaluationRow(g.Name, g.Records, "MCD dB ↓", g.Before.McdDb, g.After.McdDb, g.Delta.McdDb);
            yield return new EvaluationRow(g.Name, g.Records, "F0 RMSE cents ↓", g.Before.F0RmseCents, g.After.F0RmseCents, g.Delta.F0RmseCents);
            if (g.Before.F0Records < g.Records || g.After.F0Records < g.Records)
                yield return new EvaluationRow(g.Name, g.Records, "records with F0", g.Before.F0Records, g.After.F0Records, g.Delta.F0Records);
            if (g.Before.Failed + g.After.Failed > 0)
                yield return new EvaluationRow(g.Name, g.Records, "no audio", g.Before.Failed, g.After.Failed, g.Delta.Failed);
        }
    }
}

/// <summary>One line of <see cref="EvaluationReport.Rows"/>.</summary>
public sealed record EvaluationRow(string Group, int Records, string Metric, double? Before, double? After, double? Delta)
{
    /// <summary>A value as the table shows it: 3 decimals for cosines, 2 for dB, 1 for cents, none for counts; "–" when missing.</summary>
    public string Format(double? value, bool signed = false)
    {
        if (value is not { } v || !double.IsFinite(v)) return "–";
        var format = Metric.StartsWith("speaker", StringComparison.Ordinal) ? "0.000"
            : Metric.StartsWith("MCD", StringComparison.Ordinal) ? "0.00" : Metric.StartsWith("F0", StringComparison.Ordinal) ? "0.0" : "0";
        return (signed && v > 0 ? "+" : "") + v.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
    }
}
