namespace StepAudio.Features;

/// <summary>One feature-cache report: what happened, to which clip and entry file, and why.</summary>
public sealed record FeatureCacheEvent(FeatureCacheEventKind Kind, string AudioPath, string EntryPath, string? Reason = null)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"feature cache {Kind.ToString().ToLowerInvariant()}: {AudioPath} ({EntryPath}){(Reason is null ? "" : ": " + Reason)}";
}
