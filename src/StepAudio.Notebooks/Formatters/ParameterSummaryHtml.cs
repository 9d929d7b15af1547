using StepAudio.Nn;

namespace StepAudio.Notebooks;

/// <summary>A <see cref="ParameterSummary"/> as a table: per group total, trainable and frozen counts, then the totals and the LoRA share.</summary>
public static class ParameterSummaryHtml
{
    public static string Render(ParameterSummary s)
    {
        var rows = s.Groups.Select(g => new TableRow(Html.Encode(g.Name), Html.Count(g.Tensors), Html.Count(g.Parameters),
            Html.Count(g.Trainable), Html.Count(g.Parameters - g.Trainable),
            g.Parameters == 0 ? "–" : Html.Percent((double)g.Trainable / g.Parameters)));
        var total = new TableRow(new[] { "total", Html.Count(s.Groups.Sum(g => g.Tensors)), Html.Count(s.Total),
            Html.Count(s.Trainable), Html.Count(s.Total - s.Trainable), Html.Percent(s.TrainableFraction) }, "sa-total");
        long lora = LoraParameters(s);
        var share = $"trainable: {Html.Count(s.Trainable)} of {Html.Count(s.Total)} ({Html.Percent(s.TrainableFraction, 4)})"
            + (lora > 0 ? $" · LoRA: {Html.Count(lora)} ({Html.Percent(s.Total == 0 ? 0 : (double)lora / s.Total, 4)} of all)" : "");
        return Html.Section("Parameters", $"<div>{share}</div>"
            + Html.Table(new[] { "group", "tensors", "parameters", "trainable", "frozen", "trainable %" }, rows.Append(total)));
    }

    /// <summary>Parameters of LoRA groups (PEFT names: <c>lora_A</c>, <c>lora_B</c>, <c>lora_embedding_*</c>).</summary>
    public static long LoraParameters(ParameterSummary s) =>
        s.Groups.Where(g => g.Name.Contains("lora_", StringComparison.Ordinal)).Sum(g => g.Parameters);
}
