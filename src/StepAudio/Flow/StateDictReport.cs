using System.Text;

namespace StepAudio.Flow;

/// <summary>A checkpoint tensor whose shape differs from the model's.</summary>
public sealed record ShapeMismatch(string Key, long[] Expected, long[] Actual)
{
    public override string ToString() => $"{Key}: model [{string.Join(", ", Expected)}], file [{string.Join(", ", Actual)}]";
}

/// <summary>How a checkpoint's keys line up with a model's state_dict.</summary>
public sealed record StateDictReport(string Path, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected,
    IReadOnlyList<ShapeMismatch> ShapeMismatches, int Loaded)
{
    /// <summary>True when every key matches in name and shape.</summary>
    public bool IsExactMatch => Missing.Count == 0 && Unexpected.Count == 0 && ShapeMismatches.Count == 0;

    /// <summary>A multi-line description (first 20 of each kind).</summary>
    public override string ToString()
    {
        var sb = new StringBuilder($"{Path}: {Loaded} tensors loaded, {Missing.Count} missing, {Unexpected.Count} unexpected, " +
                                   $"{ShapeMismatches.Count} shape mismatches");
        void List(string title, IEnumerable<string> items, int count)
        {
            if (count == 0) return;
            sb.Append($"\n  {title}: ").Append(string.Join(", ", items.Take(20)));
            if (count > 20) sb.Append($", ... ({count - 20} more)");
        }
        List("missing (in model, not in file)", Missing, Missing.Count);
        List("unexpected (in file, not in model)", Unexpected, Unexpected.Count);
        List("shape", ShapeMismatches.Select(m => m.ToString()), ShapeMismatches.Count);
        return sb.ToString();
    }
}
