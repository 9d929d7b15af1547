using System.Text;
using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;

namespace StepAudio.Notebooks;

/// <summary>
/// A self-contained HTML page built from what a notebook shows — text, tables, charts, audio players — that plays and
/// plots with no network and no notebook tool: plotly.js is inlined once in the page head (charts are fragments that
/// use it), audio is in <c>data:</c> URIs, styles are inline. Values are drawn by the same text/html formatters as in
/// the notebook, so the page looks like the outputs.
/// </summary>
public sealed class HtmlReport
{
    readonly List<string> sections = new();

    /// <summary>A report titled <paramref name="title"/>.</summary>
    public HtmlReport(string title)
    {
        Title = title;
        // Outside a notebook nothing has registered them, and Formatter.ResetToDefault() drops them: register (again).
        NotebookFormatters.Register();
    }

    /// <summary>The page title.</summary>
    public string Title { get; }

    /// <summary>How many parts were added.</summary>
    public int Count => sections.Count;

    /// <summary>A section heading.</summary>
    public HtmlReport Heading(string text)
    {
        sections.Add($"<h2>{Html.Encode(text)}</h2>");
        return this;
    }

    /// <summary>A paragraph of plain text (encoded; blank lines start new paragraphs).</summary>
    public HtmlReport Text(string text)
    {
        foreach (var paragraph in text.ReplaceLineEndings("\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
            sections.Add($"<p>{Html.Encode(paragraph.Trim())}</p>");
        return this;
    }

    /// <summary>
    /// A value as the notebook displays it (a chart, an audio view, a run overview, a data report, …), under an
    /// optional heading.
    /// </summary>
    public HtmlReport Add(object value, string? heading = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        // The page carries plotly.js in its head: a chart fragment must not bring another copy.
        _ = PlotlyHtml.TakeLibrary();
        var html = value is GenericChart chart ? PlotlyHtml.Render(chart, includeLibrary: false) : value.ToDisplayString(HtmlFormatter.MimeType);
        return RawHtml(html, heading);
    }

    /// <summary>Already-made HTML (trusted: it is written as is).</summary>
    public HtmlReport RawHtml(string html, string? heading = null)
    {
        sections.Add((heading is null ? "" : $"<h3>{Html.Encode(heading)}</h3>") + $"<div class=\"sa-report-part\">{html}</div>");
        return this;
    }

    /// <summary>The whole page.</summary>
    public string ToHtml()
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
          .Append($"<title>{Html.Encode(Title)}</title>\n")
          .Append("<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:24px auto;padding:0 16px;color:#222}")
          .Append("h1{font-size:24px}h2{font-size:19px;margin-top:28px;border-bottom:1px solid #ddd}h3{font-size:15px}</style>\n")
          .Append(PlotlyHtml.LibraryScriptAlways())
          .Append("\n</head><body>\n")
          .Append($"<h1>{Html.Encode(Title)}</h1>\n");
        foreach (var part in sections) sb.Append(part).Append('\n');
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    /// <summary>Writes the page to <paramref name="path"/> (atomically) and returns its full path.</summary>
    public string Save(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        AtomicFile.WriteAllText(full, ToHtml());
        return full;
    }
}
