using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Llm;

/// <summary>
/// Adds, lists, merges and unmerges LoRA adapters on a <see cref="Step1ForCausalLM"/> the way PEFT's
/// <c>get_peft_model</c> does for a list of target names: every matching linear layer of every block gets a
/// <see cref="LoraLinear"/>, and every other parameter is frozen.
/// </summary>
public static class Step1Lora
{
    /// <summary>
    /// Replaces the target projections of all layers with <see cref="LoraLinear"/> (sharing the base weights) and
    /// freezes everything but <c>lora_A</c>/<c>lora_B</c>. Returns the adapters by module path.
    /// </summary>
    public static IReadOnlyDictionary<string, LoraLinear> Inject(Step1ForCausalLM model, LoraConfig config)
    {
        config.Validate();
        if (Adapters(model).Count > 0) throw new InvalidOperationException("this model already has LoRA adapters");
        var result = new Dictionary<string, LoraLinear>();
        for (int i = 0; i < model.model.layers.Count; i++)
        {
            var layer = model.model.layers[i];
            foreach (var target in config.TargetModules)
            {
                bool attn = target is "q_proj" or "k_proj" or "v_proj" or "o_proj";
                var current = attn ? layer.self_attn.Projection(target) : layer.mlp.Projection(target);
                if (current is not Linear linear)
                    throw new InvalidOperationException($"layer {i} {target} is not a plain linear layer");
                var lora = new LoraLinear(linear.weight!, config);
                if (attn) layer.self_attn.ReplaceProjection(target, lora);
                else layer.mlp.ReplaceProjection(target, lora);
                result[$"model.layers.{i}.{(attn ? "self_attn" : "mlp")}.{target}"] = lora;
            }
        }
        foreach (var (name, p) in model.named_parameters())
            p.requires_grad = IsLoraParameter(name);
        return result;
    }

    /// <summary>True for <c>….lora_A.weight</c> / <c>….lora_B.weight</c>.</summary>
    public static bool IsLoraParameter(string name) => name.Contains(".lora_A.") || name.Contains(".lora_B.");

    /// <summary>The adapters present, by module path (<c>model.layers.N.self_attn.q_proj</c>).</summary>
    public static IReadOnlyDictionary<string, LoraLinear> Adapters(Step1ForCausalLM model)
    {
        var result = new Dictionary<string, LoraLinear>();
        foreach (var (name, module) in model.named_modules())
            if (module is LoraLinear lora) result[name] = lora;
        return result;
    }

    /// <summary>Merges every adapter into its base weight (forward becomes the base layers only).</summary>
    public static void Merge(Step1ForCausalLM model)
    {
        foreach (var lora in Adapters(model).Values) lora.Merge();
    }

    /// <summary>Undoes <see cref="Merge"/>.</summary>
    public static void Unmerge(Step1ForCausalLM model)
    {
        foreach (var lora in Adapters(model).Values) lora.Unmerge();
    }

    /// <summary>The trainable LoRA parameters (for the optimizer).</summary>
    public static IEnumerable<Parameter> TrainableParameters(Step1ForCausalLM model) =>
        model.named_parameters().Where(p => IsLoraParameter(p.name)).Select(p => p.parameter);
}
