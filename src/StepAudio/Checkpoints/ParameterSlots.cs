using StepAudio.Llm;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Checkpoints;

/// <summary>
/// Replaces a named parameter of a module tree with a new tensor. Loading a checkpoint onto a model built on the
/// <c>meta</c> device swaps each shape-only parameter for the real one, so weights are allocated exactly once.
/// </summary>
internal static class ParameterSlots
{
    /// <summary>Puts <paramref name="value"/> where the parameter <paramref name="name"/> is, keeping requires_grad.</summary>
    public static void Replace(IReadOnlyDictionary<string, nn.Module> modules, string name, Tensor value, bool requiresGrad)
    {
        int dot = name.LastIndexOf('.');
        var owner = dot < 0 ? "" : name[..dot];
        var leaf = name[(dot + 1)..];
        if (!modules.TryGetValue(owner, out var module))
            throw new KeyNotFoundException($"no module '{owner}' holds parameter '{name}'");
        if (leaf != "weight")
            throw new NotSupportedException($"parameter '{name}': only '.weight' slots can be replaced");
        var p = new Parameter(value, requiresGrad);
        switch (module)
        {
            case Linear l: l.weight = p; break;
            case Embedding e: e.weight = p; break;
            case Step1RmsNorm n: n.SetWeight(p); break;
            case LoraLinear lora: lora.SetWeight(p); break;
            default: throw new NotSupportedException($"cannot replace '{name}' on a {module.GetType().Name}");
        }
    }

    /// <summary>All modules by dotted path ("" = the root).</summary>
    public static Dictionary<string, nn.Module> Index(nn.Module root)
    {
        var d = new Dictionary<string, nn.Module> { [""] = root };
        foreach (var (name, m) in root.named_modules()) d[name] = m;
        return d;
    }
}
