// Mirrors huggingface/peft src/peft/tuners/lora/config.py and layer.py (LoraConfig, LoRA Linear) and the injection/merge that peft_model.py does.
using System.Text.RegularExpressions;
using System.Text;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch.nn;
using static TorchSharp.torch;

namespace StepAudio.Llm;

/// <summary>
/// PEFT <c>LoraConfig</c> fields that change the maths (peft/tuners/lora/config.py): rank, alpha, dropout on the LoRA input, target module
/// names (matched against the last name of each linear layer, as PEFT does for a list), rsLoRA scaling.
/// </summary>
public sealed record LoraConfig
{
    /// <summary>Rank r (the fork uses 8).</summary>
    public int R { get; init; } = 8;
    /// <summary>lora_alpha (32); scaling = alpha / r.</summary>
    public double Alpha { get; init; } = 32;
    /// <summary>Dropout on the LoRA branch input only (0.05).</summary>
    public double Dropout { get; init; } = 0.05;
    /// <summary>Linear layers to adapt (<c>q_proj k_proj v_proj</c>; also o_proj, gate_proj, up_proj, down_proj).</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = new[] { "q_proj", "k_proj", "v_proj" };
    /// <summary>rsLoRA: scaling = alpha / √r.</summary>
    public bool UseRslora { get; init; }

    /// <summary>The multiplier of the LoRA branch.</summary>
    public double Scaling => UseRslora ? Alpha / Math.Sqrt(R) : Alpha / R;

    /// <summary>The largest rank accepted (far above any useful one; a file claiming more is corrupt).</summary>
    public const int MaxRank = 4096;

    /// <summary>Every module name LoRA can target in Step1.</summary>
    public static IReadOnlyList<string> KnownTargets { get; } =
        new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head" };

    /// <summary>Throws on a rank, alpha, dropout or target Step1 cannot use.</summary>
    public LoraConfig Validate(string source = "LoraConfig")
    {
        if (R <= 0 || R > MaxRank) throw new InputException(source, null, "r", $"must be in 1..{MaxRank}, got {R}", "use 8 (4–64)");
        if (Alpha <= 0) throw new InputException(source, null, "lora_alpha", $"must be positive, got {Alpha}", "use 32");
        if (Dropout is < 0 or >= 1)
            throw new InputException(source, null, "lora_dropout", $"must be in [0, 1), got {Dropout}", "use 0.05");
        if (TargetModules.Count == 0)
            throw new InputException(source, null, "target_modules", "is empty", "use [q_proj, k_proj, v_proj]");
        foreach (var t in TargetModules)
            if (!KnownTargets.Contains(t))
                throw new InputException(source, null, "target_modules", $"'{t}' is not a Step1 linear layer",
                    "use some of " + string.Join(", ", KnownTargets));
        return this;
    }
}

/// <summary>
/// A frozen linear layer with a PEFT LoRA branch (peft/tuners/lora/layer.py):
/// <c>y = x Wᵀ + lora_B(lora_A(dropout(x))) · scaling</c>, dropout on the LoRA input only, A kaiming-uniform(a=√5),
/// B zeros, so a fresh adapter changes nothing; the adapter is float32 over a bf16 base (<see cref="AdapterDtype"/>). While merged, <c>W</c> holds <c>W + scaling·B·A</c> and forward is
/// the base layer alone. State-dict names: <c>weight</c>, <c>lora_A.weight</c>, <c>lora_B.weight</c>.
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's.
    /// <summary>The base weight [out, in] (frozen).</summary>
    public Parameter weight;
    /// <summary>Down projection [in → r].</summary>
    public Linear lora_A;
    /// <summary>Up projection [r → out].</summary>
    public Linear lora_B;
#pragma warning restore IDE1006
    readonly double dropoutP;

    /// <summary>The LoRA branch multiplier (alpha/r, or alpha/√r with rsLoRA).</summary>
    public double Scaling { get; }
    /// <summary>Rank.</summary>
    public int R { get; }
    /// <summary>Whether the LoRA product is currently added into <see cref="weight"/>.</summary>
    public bool Merged { get; private set; }

    /// <summary>
    /// Where the dropout masks come from in training: one generator per model, on the weights' device
    /// (<see cref="Step1Lora.Inject"/> shares it; <see cref="Step1Model"/>'s training forward seeds it from the global
    /// generator), so activation checkpointing can save and restore its state on any device (LibTorch's default CUDA
    /// generator is out of TorchSharp's reach). Null: LibTorch's default generator.
    /// </summary>
    public Generator? DropoutGenerator { get; internal set; }

    /// <summary>Wraps <paramref name="baseWeight"/> [out, in] (taken over, not copied) with a fresh adapter.</summary>
    public LoraLinear(Parameter baseWeight, LoraConfig config) : base(nameof(LoraLinear))
    {
        if (baseWeight.dim() != 2) throw new ArgumentException("LoRA needs a 2-D linear weight");
        long outF = baseWeight.shape[0], inF = baseWeight.shape[1];
        weight = baseWeight;
        weight.requires_grad = false;
        var device = baseWeight.device;
        var dtype = AdapterDtype(baseWeight.dtype);
        lora_A = Linear(inF, config.R, hasBias: false, device: device, dtype: dtype);
        lora_B = Linear(config.R, outF, hasBias: false, device: device, dtype: dtype);
        if (device.type != DeviceType.META)
        {
            using var _ = no_grad();
            init.kaiming_uniform_(lora_A.weight, a: Math.Sqrt(5));
            init.zeros_(lora_B.weight);
        }
        dropoutP = config.Dropout;
        Scaling = config.Scaling;
        R = config.R;
        RegisterComponents();
    }

    /// <summary>
    /// The adapter's dtype over a base of <paramref name="baseDtype"/>: float32 over a bf16/fp16 base (PEFT's
    /// <c>autocast_adapter_dtype</c>: rank-r updates and their Adam moments lose too much in 8 mantissa bits), else the base's.
    /// </summary>
    public static ScalarType AdapterDtype(ScalarType baseDtype) =>
        baseDtype is ScalarType.BFloat16 or ScalarType.Float16 ? ScalarType.Float32 : baseDtype;

    /// <summary>Replaces the base weight (checkpoint loading onto a shape-only model).</summary>
    internal void SetWeight(Parameter value)
    {
        weight = value;
        ConditionallyRegisterParameter(nameof(weight), value);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = functional.linear(x, weight);
        if (Merged) return y.MoveToOuterDisposeScope();
        var a = x.to_type(lora_A.weight.dtype);
        if (dropoutP > 0 && training)
            a = a * empty_like(a).bernoulli_(1 - dropoutP, DropoutGenerator).div_(1 - dropoutP);   // F.dropout's inverted scaling
        var delta = lora_B.call(lora_A.call(a)) * Scaling;
        return (y + delta.to_type(y.dtype)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) DropoutGenerator?.Dispose();   // shared by the model's adapters; a second Dispose is a no-op
        base.Dispose(disposing);
    }

    /// <summary><c>scaling · B·A</c> [out, in], computed in float32 and cast to the base dtype (PEFT get_delta_weight).</summary>
    public Tensor DeltaWeight()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var b = lora_B.weight.to_type(ScalarType.Float32);
        var a = lora_A.weight.to_type(ScalarType.Float32);
        return (mm(b, a) * Scaling).to_type(weight.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Adds the LoRA product into the base weight; forward then skips the branch.</summary>
    public void Merge()
    {
        if (Merged) return;
        using var _ = no_grad();
        using var d = DeltaWeight();
        weight.add_(d);
        Merged = true;
    }

    /// <summary>Subtracts the LoRA product again.</summary>
    public void Unmerge()
    {
        if (!Merged) return;
        using var _ = no_grad();
        using var d = DeltaWeight();
        weight.sub_(d);
        Merged = false;
    }
}

/// <summary>
/// Adds, lists, merges and unmerges LoRA adapters on a <see cref="Step1ForCausalLM"/> the way PEFT's
/// <c>get_peft_model</c> does for a list of target names: every matching linear layer of every block gets a
/// <see cref="LoraLinear"/>, and every other parameter is frozen.
/// </summary>
public static class Step1Lora
{
    /// <summary>
    /// Replaces the target projections of all layers (and <c>lm_head</c> when targeted, as PEFT allows) with
    /// <see cref="LoraLinear"/> (sharing the base weights) and
    /// freezes everything but <c>lora_A</c>/<c>lora_B</c>. Returns the adapters by module path.
    /// </summary>
    public static IReadOnlyDictionary<string, LoraLinear> Inject(Step1ForCausalLM model, LoraConfig config)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (Adapters(model).Count > 0) throw new InvalidOperationException("this model already has LoRA adapters");
        var result = new Dictionary<string, LoraLinear>();
        var generator = config.Dropout > 0 ? new Generator(0, model.LmHeadWeight.device) : null;
        for (int i = 0; i < model.model.layers.Count; i++)
        {
            var layer = model.model.layers[i];
            foreach (var target in config.TargetModules.Where(t => t != "lm_head"))
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
        if (config.TargetModules.Contains("lm_head"))
        {
            if (model.lm_head is not Linear head) throw new InvalidOperationException("lm_head is not a plain linear layer");
            var lora = new LoraLinear(head.weight!, config);
            model.ReplaceLmHead(lora);
            result["lm_head"] = lora;
        }
        foreach (var (name, p) in model.named_parameters())
            p.requires_grad = IsLoraParameter(name);
        foreach (var lora in result.Values) lora.DropoutGenerator = generator;
        model.model.DropoutGenerator = generator;
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

