using System.Text;

namespace StepAudio.Checkpoints;

/// <summary>
/// What happened when a checkpoint was matched against a model: keys the model needs that the files lack
/// (<see cref="Missing"/>), keys the files have that the model does not (<see cref="Unexpected"/>), and shape
/// mismatches. <see cref="Loaded"/> counts the tensors copied.
/// </summary>
public sealed record CheckpointLoadReport(
    string Source,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<ShapeMismatch> Mismatched,
    int Loaded)
{
    /// <summary>True when every key matched.</summary>
    public bool IsExact => Missing.Count == 0 && Unexpected.Count == 0 && Mismatched.Count == 0;

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder($"{Source}: loaded {Loaded} tensors");
        if (IsExact) return sb.Append(", all keys matched").ToString();
        void List(string what, IEnumerable<string> items, int count)
        {
            if (count == 0) return;
            sb.Append($"\n  {what} ({count}): ").Append(string.Join(", ", items.Take(20)));
            if (count > 20) sb.Append($", … {count - 20} more");
        }
        List("missing", Missing, Missing.Count);
        List("unexpected", Unexpected, Unexpected.Count);
        List("mismatched", Mismatched.Select(m => m.ToString()), Mismatched.Count);
        return sb.ToString();
    }
}

/// <summary>A tensor whose shape in the checkpoint differs from the model's.</summary>
public sealed record ShapeMismatch(string Key, long[] Expected, long[] Found)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Key}: model [{string.Join(", ", Expected)}], checkpoint [{string.Join(", ", Found)}]";
}
