using System.Text;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Nn;

/// <summary>Parameter counts of one group of tensors: one kind summed over layers (<c>model.layers.*.self_attn.q_proj.lora_A.weight</c>), or one part of a model (<c>decoder.estimator</c>).</summary>
public sealed record ParameterGroup(string Name, int Tensors, long Parameters, long Trainable);

/// <summary>
/// Total and trainable parameter counts, per group. Works on a <c>meta</c>-device model, so the real 3.5 B
/// configuration can be summarised without allocating it. Used for Step1 (groups: tensor kinds across layers) and the
/// flow (groups: upstream parts).
/// </summary>
public sealed partial record ParameterSummary(long Total, long Trainable, IReadOnlyList<ParameterGroup> Groups)
{
    /// <summary>
    /// Counts the parameters of <paramref name="module"/> (shapes only; no data is read), grouped by
    /// <paramref name="group"/> of each name (default: the name with layer indices replaced by <c>*</c>).
    /// </summary>
    public static ParameterSummary Of(nn.Module module, Func<string, string>? group = null)
    {
        group ??= name => LayerIndex().Replace(name, ".*.");
        var groups = new Dictionary<string, (int N, long P, long T)>();
        var order = new List<string>();
        long total = 0, trainable = 0;
        foreach (var (name, p) in module.named_parameters())
        {
            long n = p.shape.Aggregate(1L, (a, b) => a * b);
            total += n;
            if (p.requires_grad) trainable += n;
            var key = group(name);
            if (!groups.TryGetValue(key, out var g)) order.Add(key);
            groups[key] = (g.N + 1, g.P + n, g.T + (p.requires_grad ? n : 0));
        }
        return new ParameterSummary(total, trainable,
            order.Select(k => new ParameterGroup(k, groups[k].N, groups[k].P, groups[k].T)).ToList());
    }

    /// <summary>Share of parameters that train.</summary>
    public double TrainableFraction => Total == 0 ? 0 : (double)Trainable / Total;

    /// <summary>A table: one line per module kind, then the totals.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        int width = Math.Max(10, Groups.Count == 0 ? 0 : Groups.Max(g => g.Name.Length));
        foreach (var g in Groups)
            sb.AppendLine($"{g.Name.PadRight(width)}  x{g.Tensors,-3} {g.Parameters,15:N0}  trainable {g.Trainable,13:N0}");
        sb.Append($"total {Total:N0}, trainable {Trainable:N0} ({TrainableFraction:P4})");
        return sb.ToString();
    }

    [GeneratedRegex(@"\.\d+\.")]
    private static partial Regex LayerIndex();
}
