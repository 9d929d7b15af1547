using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Tests.Parity;

/// <summary>
/// Collects comparisons of computed values against a fixture's stored outputs. The tolerance for a key is the
/// longest tolerance entry that is a prefix of it; keys with none get <see cref="Tolerance.Default"/>.
/// </summary>
public sealed class ParityReport
{
    readonly ParityFixture fixture;
    readonly List<string> failures = new();
    readonly List<string> lines = new();
    readonly HashSet<string> usedTolerances = new();

    public ParityReport(ParityFixture fixture) => this.fixture = fixture;

    public IReadOnlyList<string> Failures => failures;
    public IReadOnlyList<string> Lines => lines;
    public int Compared { get; private set; }

    /// <summary>Compares <paramref name="actual"/> with the stored tensor <paramref name="key"/> (io, else weights).</summary>
    public void Compare(string key, Tensor actual)
    {
        var expected = fixture.Io.TryGetValue(key, out var e) ? e
            : fixture.Weights.TryGetValue(key, out var w) ? w
            : throw new KeyNotFoundException($"{fixture.Dir}: no stored tensor '{key}' in io or weights");
        CompareWith(key, expected, actual, key);
    }

    /// <summary>
    /// Compares with a tensor stored outside io/weights (a sub-folder's file, e.g. <c>lora/io.safetensors</c>);
    /// the tolerance is the one that applies to <paramref name="toleranceKey"/>.
    /// </summary>
    public void CompareWith(string label, Tensor expected, Tensor actual, string toleranceKey)
    {
        var (tolKey, tol) = ToleranceFor(toleranceKey);
        if (tolKey != null) usedTolerances.Add(tolKey);
        Compared++;
        if (!actual.shape.SequenceEqual(expected.shape))
        {
            failures.Add($"{label}: shape [{string.Join(",", actual.shape)}] != expected [{string.Join(",", expected.shape)}]");
            return;
        }
        using var scope = NewDisposeScope();
        var a = actual.detach().cpu().to_type(ScalarType.Float64);
        var x = expected.to_type(ScalarType.Float64);
        double diff = a.numel() == 0 ? 0 : (a - x).abs().max().item<double>();
        double scale = x.numel() == 0 ? 0 : x.abs().max().item<double>();
        bool ok = tol.Passes(diff, scale, expected.numel() == 1);
        var line = $"{label}: max|diff| {diff:g3} (max|expected| {scale:g3}) vs {tol}{(ok ? "" : "  FAIL")}";
        lines.Add(line);
        if (!ok) failures.Add(line);
    }

    /// <summary>Compares only when the fixture stores <paramref name="key"/> (for optional intermediates).</summary>
    public void CompareIfStored(string key, Tensor actual)
    {
        if (fixture.Io.ContainsKey(key)) Compare(key, actual);
    }

    /// <summary>Fails unless <paramref name="condition"/>; for non-tensor outputs (strings, counts).</summary>
    public void Check(bool condition, string what)
    {
        Compared++;
        if (!condition) failures.Add(what);
    }

    /// <summary>Tolerance entries that name outputs but were never compared (inputs excepted).</summary>
    public IEnumerable<string> UncomparedTolerances() =>
        fixture.Tolerances.Where(t => !t.Value.IsInputNote && !usedTolerances.Contains(t.Key)).Select(t => t.Key);

    (string? Key, Tolerance Tol) ToleranceFor(string key)
    {
        string? best = null;
        foreach (var k in fixture.Tolerances.Keys)
            if (key.StartsWith(k, StringComparison.Ordinal) && (best == null || k.Length > best.Length))
                best = k;
        return best == null ? (null, Tolerance.Default) : (best, fixture.Tolerances[best]);
    }
}
