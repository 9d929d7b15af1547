using System.Text;
using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>One row of <see cref="FlowParameterSummary"/>: a top-level part of the flow and its parameter counts.</summary>
public sealed record FlowParameterGroup(string Name, long Tensors, long Parameters, long Trainable);

/// <summary>Parameter counts of a flow model grouped by upstream part (<c>encoder</c>, <c>decoder.estimator</c>, ...).</summary>
public sealed record FlowParameterSummary(IReadOnlyList<FlowParameterGroup> Groups)
{
    /// <summary>All parameters.</summary>
    public long Total => Groups.Sum(g => g.Parameters);
    /// <summary>Parameters with requires_grad.</summary>
    public long Trainable => Groups.Sum(g => g.Trainable);

    /// <summary>Groups by the key prefix before the first dot (two levels for <c>decoder.*</c>).</summary>
    public static FlowParameterSummary Of(nn.Module model)
    {
        var groups = new Dictionary<string, (long Tensors, long Count, long Trainable)>();
        var order = new List<string>();
        foreach (var (name, p) in model.named_parameters())
        {
            var parts = name.Split('.');
            var key = parts[0] == "decoder" && parts.Length > 2 ? parts[0] + "." + parts[1] : parts[0];
            if (!groups.TryGetValue(key, out var g)) order.Add(key);
            long n = p.numel();
            groups[key] = (g.Tensors + 1, g.Count + n, g.Trainable + (p.requires_grad ? n : 0));
        }
        return new FlowParameterSummary(order.Select(k => new FlowParameterGroup(k, groups[k].Tensors, groups[k].Count,
            groups[k].Trainable)).ToList());
    }

    /// <summary>A small aligned table.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{"part",-24} {"tensors",8} {"params",14} {"trainable",14}");
        foreach (var g in Groups) sb.AppendLine($"{g.Name,-24} {g.Tensors,8} {g.Parameters,14:N0} {g.Trainable,14:N0}");
        sb.Append($"{"total",-24} {Groups.Sum(g => g.Tensors),8} {Total,14:N0} {Trainable,14:N0}");
        return sb.ToString();
    }
}
