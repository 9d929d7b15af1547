namespace StepAudio.Features;

/// <summary>What happened to one feature-cache entry.</summary>
public enum FeatureCacheEventKind
{
    /// <summary>A valid entry was read; nothing was computed.</summary>
    Hit,
    /// <summary>No entry existed; features were computed.</summary>
    Miss,
    /// <summary>The entry was unreadable: truncated, bad header, checksum mismatch, missing or malformed tensor.</summary>
    Corrupt,
    /// <summary>The entry was written with other parameters or another format version.</summary>
    Stale,
    /// <summary>An entry was written (new, rebuilt, or with an updated slot).</summary>
    Written,
}
