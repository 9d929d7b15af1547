using System.Reflection;

namespace StepAudio.Notebooks;

/// <summary>
/// plotly.js as shipped inside the Plotly.NET assembly (an embedded resource, <c>Plotly.NET.plotly-2.28.0.min.js</c>
/// in Plotly.NET 6.0.0): the exact version Plotly.NET's JSON is written for, with no download. The name is found by
/// pattern so a Plotly.NET update that bumps plotly.js keeps working.
/// </summary>
public static class PlotlyJs
{
    static readonly Lazy<(string Name, string Source)> Resource = new(Load);

    /// <summary>The resource name, e.g. <c>Plotly.NET.plotly-2.28.0.min.js</c>.</summary>
    public static string ResourceName => Resource.Value.Name;

    /// <summary>The minified library (about 3.6 MB).</summary>
    public static string Source => Resource.Value.Source;

    static (string, string) Load()
    {
        var assembly = typeof(Plotly.NET.GenericChart).Assembly;
        var name = assembly.GetManifestResourceNames()
            .Where(n => n.Contains("plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal))
            .OrderByDescending(n => n, StringComparer.Ordinal)
            .FirstOrDefault()
            ?? throw new InvalidOperationException(
                $"{assembly.GetName().Name} {assembly.GetName().Version} embeds no plotly-*.min.js; charts cannot render offline");
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return (name, reader.ReadToEnd());
    }
}
