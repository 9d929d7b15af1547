using StepAudio.Checkpoints;

namespace StepAudio.Notebooks;

/// <summary>A <see cref="CheckpointInfo"/>: a summary line, the first tensors (key, dtype, shape, elements) with a count of the rest, and the metadata.</summary>
public static class CheckpointHtml
{
    /// <summary>Tensor rows shown before the rest are only counted (a 3B model has thousands).</summary>
    public const int MaxRows = 40;

    public static string Render(CheckpointInfo info)
    {
        var head = $"<div class=\"sa-meta\">{Html.Encode(info.Format)} · {Html.Bytes(info.FileBytes)} on disk · "
            + $"{Html.Count(info.Entries.Count)} tensors · {Html.Count(info.TotalParameters)} parameters · {Html.Bytes(info.TotalBytes)}</div>";
        var tensors = Html.Table(new[] { "key", "dtype", "shape", "elements" },
            info.Entries.Select(e => new TableRow(Html.Encode(e.Key), Html.Encode(e.DType), Html.Encode(e.ShapeText), Html.Count(e.Numel))),
            MaxRows);
        var metadata = info.Metadata.Count == 0 ? "" : Html.Table(new[] { "metadata", "value" },
            info.Metadata.Select(kv => new TableRow(Html.Encode(kv.Key), Html.Encode(kv.Value))), MaxRows);
        return Html.Section(info.Path, head + tensors + metadata);
    }
}
