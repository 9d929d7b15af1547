using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;
using CS = Plotly.NET.CSharp;

namespace StepAudio.Notebooks.Tests.Charts;

public sealed class PlotlyHtmlTests : IDisposable
{
    public PlotlyHtmlTests()
    {
        NotebookFormatters.Register();
        PlotlyHtml.InlineLibraryAgain();   // each test starts as the first chart of a process
    }

    public void Dispose() => Formatter.ResetToDefault();

    static GenericChart Line(string name) =>
        CS.Chart.Line<double, double, string>(new[] { 0.0, 1, 2 }, new[] { 3.0, 2, 1 }, Name: name);

    [Fact]
    public void The_library_comes_from_the_plotly_net_assembly()
    {
        Assert.Equal("Plotly.NET.plotly-2.28.0.min.js", PlotlyJs.ResourceName);
        Assert.StartsWith("/**\n* plotly.js v2.28.0", PlotlyJs.Source);
        Assert.True(PlotlyJs.Source.Length > 3_000_000);
    }

    [Fact]
    public void Plotly_js_is_inlined_in_the_first_chart_output_only()
    {
        var first = Formatter.ToDisplayString(Line("a"), HtmlFormatter.MimeType);
        var second = Formatter.ToDisplayString(Line("b"), HtmlFormatter.MimeType);
        var third = PlotlyHtml.Render(Line("c"));

        Assert.Contains(PlotlyHtml.LibraryMarker, first);
        Assert.Contains("if (!window.Plotly)", first);
        Assert.Contains("plotly.js v2.28.0", first);
        // require.js pages: define/require/module/exports are shadowed while the UMD bundle runs.
        Assert.Contains("(function (define, require, module, exports) {", first);
        foreach (var later in new[] { second, third })
        {
            Assert.DoesNotContain("plotly.js v2.28.0", later);
            Assert.True(later.Length < 20_000, $"a later chart output is {later.Length} chars");
            Assert.Contains("Plotly.newPlot(", later);
        }
    }

    [Fact]
    public void No_output_loads_anything_from_the_network()
    {
        foreach (var html in new[] { PlotlyHtml.Render(Line("a")), PlotlyHtml.Render(Line("b")) })
        {
            Assert.DoesNotContain("<script src", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("require.min.js", html);
            Assert.DoesNotContain("cdn.plot.ly/plotly", html);
            Assert.DoesNotContain("cdnjs", html);
            // The inlined library names URLs for map tiles and topojson (used only by map charts); our own text none.
            var ours = html.Contains(PlotlyHtml.LibraryMarker) ? html.Replace(PlotlyJs.Source, "") : html;
            Assert.DoesNotContain("http://", ours);
            Assert.DoesNotContain("https://", ours);
        }
    }

    [Fact]
    public void Text_in_a_chart_cannot_close_the_script()
    {
        var html = PlotlyHtml.Render(Line("</script><script>alert(1)</script>"), includeLibrary: false);
        Assert.DoesNotContain("<script>alert", html);
        Assert.Equal(1, html.Split("</script>").Length - 1);
        Assert.Contains("\\u003c/script>\\u003cscript>alert(1)", html);
    }
}
