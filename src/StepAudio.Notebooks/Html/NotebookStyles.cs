namespace StepAudio.Notebooks;

/// <summary>
/// The CSS every output carries. Each output brings its own copy (about 1 KB) because notebook front ends render
/// outputs independently and a saved notebook may show any of them alone; classes are prefixed <c>sa-</c> so they
/// never restyle the notebook itself.
/// </summary>
static class NotebookStyles
{
    public const string Css = """
<style>
.sa-block{font-family:system-ui,sans-serif;font-size:13px;margin:4px 0}
.sa-title{font-weight:600;margin:2px 0 4px}
.sa-meta{color:#666;font-size:12px}
.sa-table{border-collapse:collapse;margin:4px 0}
.sa-table th,.sa-table td{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
.sa-table th{background:#f4f4f4}
.sa-table tr.sa-error td{background:#fde2e1;color:#8a1c1c}
.sa-table tr.sa-warning td{background:#fff4d6;color:#7a5200}
.sa-table tr.sa-total td{font-weight:600}
.sa-table tr.sa-more td{color:#666;font-style:italic}
.sa-badge-error{color:#b42318;font-weight:600}
.sa-badge-warning{color:#b54708;font-weight:600}
.sa-ok{color:#067647;font-weight:600}
.sa-side{display:flex;gap:16px;flex-wrap:wrap}
.sa-wave{display:block;background:#fafafa;border:1px solid #eee}
pre.sa-yaml{background:#f7f7f7;padding:6px;max-height:480px;overflow:auto}
</style>
""";
}
