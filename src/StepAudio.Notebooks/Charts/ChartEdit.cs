using Plotly.NET;

namespace StepAudio.Notebooks;

/// <summary>
/// Sets plotly.js attributes by name on a chart's traces or layout. Plotly.NET's typed styling functions take
/// dozens of F# options each and are awkward from C#; traces and layouts are DynamicObj, so a named attribute
/// (<c>zmin</c>, <c>yaxis2</c>) is one call and lands in the JSON exactly as plotly.js documents it.
/// </summary>
static class ChartEdit
{
    public static GenericChart Traces(GenericChart chart, params (string Name, object Value)[] values)
    {
        foreach (var trace in GenericChart.getTraces(chart))
            foreach (var (name, value) in values) trace.SetProperty(name, value);
        return chart;
    }

    public static GenericChart Layout(GenericChart chart, params (string Name, object Value)[] values)
    {
        var layout = GenericChart.getLayout(chart);
        foreach (var (name, value) in values) layout.SetProperty(name, value);
        return GenericChart.setLayout(layout, chart);
    }

    /// <summary>
    /// A one-trace chart of plotly.js type <paramref name="type"/> with the attributes given: for what the typed C#
    /// builders make awkward, such as y values with gaps (null) or bars over category names.
    /// </summary>
    public static GenericChart Trace(string type, params (string Name, object Value)[] values)
    {
        var trace = new Trace2D(type);
        foreach (var (name, value) in values) trace.SetProperty(name, value);
        return GenericChart.ofTraceObject(true, trace);
    }

    /// <summary>Finite values rounded to <paramref name="decimals"/>; NaN and infinities become null, which plotly.js draws as a gap.</summary>
    public static double?[] Gaps(IEnumerable<double> values, int decimals = 2) =>
        values.Select(v => double.IsFinite(v) ? Math.Round(v, decimals) : (double?)null).ToArray();

    /// <summary>A plotly.js title object.</summary>
    public static Dictionary<string, object> Title(string text) => new() { ["text"] = text };

    /// <summary>A plotly.js axis with a title and extra attributes.</summary>
    public static Dictionary<string, object> Axis(string title, params (string Name, object Value)[] more)
    {
        var axis = new Dictionary<string, object> { ["title"] = Title(title) };
        foreach (var (name, value) in more) axis[name] = value;
        return axis;
    }
}
