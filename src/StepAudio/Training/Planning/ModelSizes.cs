using StepAudio.Checkpoints;
using StepAudio.Config;
using StepAudio.Flow;
using StepAudio.Llm;

namespace StepAudio.Training.Planning;

/// <summary><paramref name="Count"/> linear layers named <paramref name="Module"/> (e.g. every layer's <c>q_proj</c>), <paramref name="In"/> → <paramref name="Out"/>.</summary>
public sealed record LinearShape(string Module, long In, long Out, int Count);

/// <summary>
/// The LLM's sizes: its architecture (for activations), the base parameter count, and the shapes of every linear
/// layer LoRA could target, so that other ranks and targets can be priced without the model.
/// </summary>
public sealed record LlmSizes(Step1Config Config, long BaseParameters, IReadOnlyList<LinearShape> Linears, string Source)
{
    /// <summary>LoRA parameters for rank <paramref name="r"/> on <paramref name="targets"/>: r·(in + out) per adapted layer (PEFT's A and B).</summary>
    public long LoraParameters(int r, IEnumerable<string> targets)
    {
        var set = targets.ToHashSet(StringComparer.Ordinal);
        return Linears.Where(l => set.Contains(l.Module)).Sum(l => l.Count * r * (l.In + l.Out));
    }
}

/// <summary>The flow's sizes: its architecture (for the DiT's activations) and its total and trainable parameter counts.</summary>
public sealed record FlowSizes(FlowConfig Config, long TotalParameters, long TrainableParameters, string Source);

/// <summary>
/// Model sizes from a config without loading any weights: presets by their architecture, checkpoints by their
/// headers (<c>config.json</c> and the safetensors index/headers; <c>flow.pt</c> by its pickle, through
/// <see cref="CheckpointInspector"/>).
/// </summary>
public static class ModelSizes
{
    /// <summary>The LLM of <c>model.llm</c>: <c>model_path</c>'s folder, else the preset.</summary>
    public static LlmSizes Llm(StepAudioConfig config)
    {
        var c = config.Model.Llm;
        if (c.ModelPath is { } path)
        {
            var arch = Step1Config.FromJsonFile(Path.Combine(path, "config.json"));
            return FromEntries(arch, CheckpointInspector.Inspect(path).Entries, path);
        }
        var preset = c.Preset ?? throw config.Error("model.llm", "has neither model_path nor preset", "set one of them");
        return FromConfig(Step1Config.Preset(preset), "preset " + preset);
    }

    /// <summary>The sizes of a Step1 architecture, counted from its shapes (what <see cref="Step1ForCausalLM"/> builds).</summary>
    public static LlmSizes FromConfig(Step1Config c, string source)
    {
        long h = c.HiddenSize, kv = (long)c.HeadDim * c.NumAttentionGroups, i = c.IntermediateSize, v = c.VocabSize;
        int n = c.NumHiddenLayers;
        var linears = new List<LinearShape>
        {
            new("q_proj", h, h, n), new("k_proj", h, kv, n), new("v_proj", h, kv, n), new("o_proj", h, h, n),
            new("gate_proj", h, i, n), new("up_proj", h, i, n), new("down_proj", i, h, n), new("lm_head", h, v, 1),
        };
        long norms = (2L * n + 1) * h;
        return new LlmSizes(c, v * h + norms + linears.Sum(l => l.Count * l.In * l.Out), linears, source);
    }

    /// <summary>The sizes from a checkpoint's tensor list: the total counted, the 2-D <c>*.weight</c>s grouped by module name.</summary>
    public static LlmSizes FromEntries(Step1Config arch, IReadOnlyList<CheckpointEntry> entries, string source)
    {
        var linears = entries
            .Where(e => e.Shape.Length == 2 && e.Key.EndsWith(".weight", StringComparison.Ordinal) && !e.Key.Contains("embed_tokens", StringComparison.Ordinal))
            .GroupBy(e => (Module: ModuleName(e.Key), Out: e.Shape[0], In: e.Shape[1]))
            .Select(g => new LinearShape(g.Key.Module, g.Key.In, g.Key.Out, g.Count()))
            .ToList();
        return new LlmSizes(arch, entries.Sum(e => e.Numel), linears, source);
    }

    static string ModuleName(string key)
    {
        var parts = key.Split('.');
        return parts.Length >= 2 ? parts[^2] : key;
    }

    /// <summary>
    /// The flow of <c>model.flow</c>: <c>model_path/flow.pt</c> (or <c>flow.safetensors</c>) by its headers, else the
    /// preset, built once on the CPU to count its parameters (the real preset is ~0.5 GB for a moment; no weights are read).
    /// </summary>
    public static FlowSizes Flow(StepAudioConfig config)
    {
        var c = config.Model.Flow;
        if (c.ModelPath is { } path)
        {
            var file = Path.Combine(path, "flow.pt");
            var entries = CheckpointInspector.Inspect(File.Exists(file) ? file : Path.Combine(path, "flow.safetensors")).Entries;
            return FromNames(FlowConfig.StepAudioEditX, entries.Select(e => (e.Key, e.Numel)), c, path);
        }
        var preset = c.Preset ?? throw config.Error("model.flow", "has neither model_path nor preset", "set one of them");
        // Building draws random initial weights; the global generator is put back so that planning changes no run.
        using var rng = TorchSharp.torch.get_rng_state();
        using var model = new CausalMaskedDiffWithXvec(FlowConfig.Preset(preset));
        TorchSharp.torch.set_rng_state(rng);
        return FromNames(FlowConfig.Preset(preset), model.named_parameters().Select(p => (p.name, p.parameter.numel())).ToList(), c, "preset " + preset);
    }

    /// <summary>Total and trainable counts from (name, elements) pairs, trainable as <see cref="CausalMaskedDiffWithXvec.FreezeEncoder"/> decides.</summary>
    public static FlowSizes FromNames(FlowConfig arch, IEnumerable<(string Name, long Numel)> parameters, FlowModelConfig c, string source)
    {
        long total = 0, trainable = 0;
        foreach (var (name, numel) in parameters)
        {
            total += numel;
            if (!c.FreezeEncoder || CausalMaskedDiffWithXvec.TrainsWithDecoder(name, c.TrainSpeakerProjection)) trainable += numel;
        }
        return new FlowSizes(arch, total, trainable, source);
    }
}
