using System.Text;
using Plotly.NET;

namespace StepAudio.Notebooks;

/// <summary>
/// Renders a Plotly.NET chart as notebook HTML that works offline: a <c>&lt;div&gt;</c> plus an inline script calling
/// <c>Plotly.newPlot</c> with the chart's JSON. plotly.js itself is inlined once per kernel process, in the first chart
/// output, guarded by <c>if (!window.Plotly)</c>; later outputs use the global it set.
/// <para>
/// Why not the stock Plotly.NET.Interactive formatter: its output loads require.js from cdnjs and plotly.js from
/// cdn.plot.ly, so on an offline machine (or in a saved notebook opened offline) no chart renders. Plotly.NET's own
/// <c>toEmbeddedHTML</c> references the CDN too. Nothing here emits <c>&lt;script src=</c>.
/// </para>
/// </summary>
public static class PlotlyHtml
{
    static int libraryInlined;

    /// <summary>
    /// Renders <paramref name="chart"/>; carries plotly.js when no output of this process has carried it yet.
    /// </summary>
    public static string Render(GenericChart chart) => Render(chart, TakeLibrary());

    /// <summary>Renders <paramref name="chart"/>, with plotly.js when <paramref name="includeLibrary"/> is set.</summary>
    public static string Render(GenericChart chart, bool includeLibrary)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var id = "sa-plot-" + Guid.NewGuid().ToString("N");
        var sb = new StringBuilder();
        sb.Append($"<div id=\"{id}\" class=\"sa-plot\"></div>\n<script type=\"text/javascript\">\n");
        if (includeLibrary) AppendLibrary(sb);
        sb.Append("(function () {\n");
        sb.Append($"  var el = document.getElementById('{id}');\n");
        sb.Append("  if (!window.Plotly) { el.textContent = 'plotly.js is not loaded in this page: run ")
          .Append("StepAudio.Notebooks.PlotlyHtml.InlineLibraryAgain() and re-run this cell.'; return; }\n");
        sb.Append("  var figure = ").Append(ScriptSafe(GenericChart.toJson(chart))).Append(";\n");
        sb.Append("  Plotly.newPlot(el, figure.data, figure.layout, figure.config || {responsive: true});\n");
        sb.Append("})();\n</script>");
        return sb.ToString();
    }

    /// <summary>
    /// A script element carrying plotly.js, or null when an output of this process already carried it. The extension
    /// shows it in the <c>#r</c> cell, so that the library is on the page once per notebook, above every chart, and
    /// charts (above all a live chart, redrawn many times) stay small.
    /// </summary>
    public static string? LibraryScript()
    {
        if (!TakeLibrary()) return null;
        var sb = new StringBuilder("<script type=\"text/javascript\">\n");
        AppendLibrary(sb);
        return sb.Append("</script>").ToString();
    }

    /// <summary>A script element carrying plotly.js, whatever earlier outputs carried (a standalone page needs its own).</summary>
    public static string LibraryScriptAlways()
    {
        var sb = new StringBuilder("<script type=\"text/javascript\">\n");
        AppendLibrary(sb);
        return sb.Append("</script>").ToString();
    }

    /// <summary>
    /// Makes the next chart output carry plotly.js again, e.g. after the output that carried it was cleared and the
    /// page reloaded (a saved notebook only has what its outputs hold).
    /// </summary>
    public static void InlineLibraryAgain() => Interlocked.Exchange(ref libraryInlined, 0);

    /// <summary>True for the first caller of the process (or after <see cref="InlineLibraryAgain"/>).</summary>
    internal static bool TakeLibrary() => Interlocked.Exchange(ref libraryInlined, 1) == 0;

    /// <summary>The marker that starts the inlined library (tests count it).</summary>
    internal const string LibraryMarker = "/* plotly.js inlined by StepAudio.Notebooks */";

    static void AppendLibrary(StringBuilder sb)
    {
        // plotly.min.js is a UMD bundle: where Jupyter classic (or any page with require.js) defines an AMD `define`,
        // it registers itself as an AMD module and never sets window.Plotly. The parameters shadow define, require,
        // module and exports while it evaluates, so it takes its global branch and sets window.Plotly.
        sb.Append(LibraryMarker).Append('\n');
        sb.Append("if (!window.Plotly) {\n(function (define, require, module, exports) {\n");
        // 2.28.0 holds no "</script" (checked); should a later one, "<\/" in its strings means the same to JavaScript.
        sb.Append(PlotlyJs.Source.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase));
        sb.Append("\n}).call(window);\n}\n");
    }

    /// <summary>
    /// Text placed inside a script element must not contain <c>&lt;/script</c> or <c>&lt;!--</c>, or the HTML parser
    /// ends the script there: a chart title like <c>&lt;/script&gt;&lt;script&gt;…</c> would run as code. In JSON,
    /// <c>&lt;</c> only occurs inside strings, where <c>\u003c</c> means the same character.
    /// </summary>
    internal static string ScriptSafe(string json) => json.Replace("<", "\\u003c", StringComparison.Ordinal);
}
