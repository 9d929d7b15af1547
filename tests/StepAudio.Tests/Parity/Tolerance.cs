using System.Text.Json;

namespace StepAudio.Tests.Parity;

/// <summary>
/// A fixture tolerance entry. Passing any one of the given bounds passes: <c>max_abs</c> on max|a−e|,
/// <c>max_rel</c> on max|a−e| / max|e| for scalars, <c>max_rel_to_max</c> on max|a−e| / max|e| over the tensor.
/// </summary>
public sealed record Tolerance(double? MaxAbs, double? MaxRel, double? MaxRelToMax, string? Note)
{
    /// <summary>What applies to an expected value with no tolerance entry (README: intermediates at 1e-4).</summary>
    public static readonly Tolerance Default = new(1e-4, null, null, "default for intermediates");

    public static Tolerance From(JsonElement e) => new(
        Get(e, "max_abs"), Get(e, "max_rel"), Get(e, "max_rel_to_max"),
        e.TryGetProperty("note", out var n) ? n.GetString() : null);

    /// <summary>True when an entry only documents an input (nothing to compute).</summary>
    public bool IsInputNote => Note != null && Note.StartsWith("input", StringComparison.OrdinalIgnoreCase);

    public bool Passes(double maxAbsDiff, double maxAbsExpected, bool scalar)
    {
        if (double.IsNaN(maxAbsDiff)) return false;
        if (MaxAbs is { } a && maxAbsDiff <= a) return true;
        if (MaxRel is { } r && scalar && maxAbsDiff <= r * maxAbsExpected) return true;
        if (MaxRelToMax is { } m && maxAbsDiff <= m * maxAbsExpected) return true;
        return false;
    }

    public override string ToString() => string.Join(" or ", new[]
    {
        MaxAbs is { } a ? $"max_abs {a:g3}" : null,
        MaxRel is { } r ? $"max_rel {r:g3}" : null,
        MaxRelToMax is { } m ? $"max_rel_to_max {m:g3}" : null,
    }.Where(s => s != null));

    static double? Get(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
