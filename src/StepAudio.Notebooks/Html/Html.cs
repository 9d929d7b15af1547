using System.Globalization;
using System.Net;
using System.Text;

namespace StepAudio.Notebooks;

/// <summary>
/// The one place data becomes HTML text: every string that comes from files, manifests, configs or users goes
/// through <see cref="Encode"/>, so a transcript or path holding markup is shown, never run.
/// Numbers are formatted with the invariant culture so outputs do not change with the kernel's locale.
/// </summary>
public static class Html
{
    /// <summary>HTML-escapes <paramref name="text"/> (null gives an empty string).</summary>
    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A number with thousands separators (<c>1,234,567</c>).</summary>
    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A number with <paramref name="format"/> in the invariant culture; "–" for null, NaN or infinity.</summary>
    public static string Number(double? value, string format = "0.####") =>
        value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "–";

    /// <summary>A share as a percentage (<c>1.23%</c>).</summary>
    public static string Percent(double fraction, int decimals = 2) =>
        (fraction * 100).ToString("F" + decimals, CultureInfo.InvariantCulture) + "%";

    /// <summary>Seconds as <c>12.3 s</c> or <c>2 min 03.4 s</c>.</summary>
    public static string Duration(double seconds) => seconds < 60
        ? seconds.ToString("0.##", CultureInfo.InvariantCulture) + " s"
        : $"{(int)(seconds / 60)} min {(seconds % 60).ToString("00.#", CultureInfo.InvariantCulture)} s";

    /// <summary>Bytes as <c>1.5 MiB</c>.</summary>
    public static string Bytes(long bytes)
    {
        string[] units = { "B", "KiB", "MiB", "GiB", "TiB" };
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return u == 0 ? $"{bytes} B" : v.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[u];
    }

    /// <summary>
    /// A table; <paramref name="rows"/> hold already-encoded cell HTML (use <see cref="Encode"/> on data). Only the
    /// first <paramref name="maxRows"/> rows are written, then one row saying how many were left out, so a
    /// 3,000-tensor checkpoint stays a readable output.
    /// </summary>
    public static string Table(IReadOnlyList<string> headers, IEnumerable<TableRow> rows, int maxRows = int.MaxValue,
        string? cssClass = null)
    {
        var sb = new StringBuilder();
        sb.Append("<table class=\"sa-table").Append(cssClass is null ? "" : " " + cssClass).Append("\"><thead><tr>");
        foreach (var h in headers) sb.Append("<th>").Append(Encode(h)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        int shown = 0, total = 0;
        foreach (var row in rows)
        {
            total++;
            if (shown >= maxRows) continue;
            shown++;
            sb.Append(row.CssClass is null ? "<tr>" : $"<tr class=\"{row.CssClass}\">");
            foreach (var cell in row.Cells) sb.Append("<td>").Append(cell).Append("</td>");
            sb.Append("</tr>");
        }
        if (total > shown)
            sb.Append($"<tr class=\"sa-more\"><td colspan=\"{headers.Count}\">… and {Count(total - shown)} more (of {Count(total)})</td></tr>");
        sb.Append("</tbody></table>");
        return sb.ToString();
    }

    /// <summary>A titled block wrapping <paramref name="body"/>, with the toolkit's styles.</summary>
    public static string Section(string? title, string body)
    {
        var sb = new StringBuilder(NotebookStyles.Css);
        sb.Append("<div class=\"sa-block\">");
        if (!string.IsNullOrEmpty(title)) sb.Append("<div class=\"sa-title\">").Append(Encode(title)).Append("</div>");
        sb.Append(body).Append("</div>");
        return sb.ToString();
    }
}

/// <summary>One row of <see cref="Html.Table"/>: encoded cells and an optional CSS class (e.g. <c>sa-error</c>).</summary>
public sealed record TableRow(IReadOnlyList<string> Cells, string? CssClass = null)
{
    public TableRow(params string[] cells) : this((IReadOnlyList<string>)cells) { }
}
