namespace StepAudio.Checkpoints;

/// <summary>A tensor whose shape in the checkpoint differs from the model's.</summary>
public sealed record ShapeMismatch(string Key, long[] Expected, long[] Found)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Key}: model [{string.Join(", ", Expected)}], checkpoint [{string.Join(", ", Found)}]";
}
