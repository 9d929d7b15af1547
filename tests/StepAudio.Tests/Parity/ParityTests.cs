using System.Reflection;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace StepAudio.Tests.Parity;

/// <summary>
/// The data-driven parity runner: every folder with a fixture.json under <see cref="TestPaths.ParityDir"/> is one
/// case; the component is chosen by fixture.json's <c>component</c>, never by the folder name.
/// </summary>
public class ParityTests(ITestOutputHelper output)
{
    static readonly Dictionary<string, IParityComponent> Components = typeof(ParityTests).Assembly.GetTypes()
        .Where(t => typeof(IParityComponent).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
        .Select(t => (IParityComponent)Activator.CreateInstance(t)!)
        .ToDictionary(c => c.Component);

    public static IEnumerable<object[]> Fixtures()
    {
        var root = TestPaths.ParityDir;
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"parity fixture folder '{root}' does not exist (STEPAUDIO_PARITY_DIR)");
        var dirs = Directory.EnumerateFiles(root, "fixture.json", SearchOption.AllDirectories)
            .Select(Path.GetDirectoryName).Order(StringComparer.Ordinal).ToList();
        if (dirs.Count == 0) throw new InvalidOperationException($"no fixture.json under '{root}'");
        return dirs.Select(d => new object[] { Path.GetRelativePath(root, d!) });
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Parity(string fixtureFolder)
    {
        using var fixture = new ParityFixture(Path.Combine(TestPaths.ParityDir, fixtureFolder));
        Assert.True(Components.TryGetValue(fixture.Component, out var component),
            $"{fixture.Dir}: component '{fixture.Component}' has no implementation " +
            $"(implemented: {string.Join(", ", Components.Keys.Order())})");
        var report = new ParityReport(fixture);
        using (NewDisposeScope())
            component!.Run(fixture, report);
        foreach (var line in report.Lines) output.WriteLine(line);
        Assert.True(report.Compared > 0, $"{fixture.Dir}: nothing was compared");
        var missing = report.UncomparedTolerances().ToList();
        Assert.True(missing.Count == 0, $"{fixture.Dir}: outputs named in tolerance never compared: {string.Join(", ", missing)}");
        Assert.True(report.Failures.Count == 0, $"{fixture.Dir}:\n" + string.Join("\n", report.Failures));
    }
}
