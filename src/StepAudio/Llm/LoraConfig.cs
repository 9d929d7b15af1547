namespace StepAudio.Llm;

/// <summary>
/// PEFT <c>LoraConfig</c> fields that change the maths (spec §4): rank, alpha, dropout on the LoRA input, target module
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

    /// <summary>Every module name LoRA can target in Step1.</summary>
    public static IReadOnlyList<string> KnownTargets { get; } =
        new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj" };

    /// <summary>Throws on a rank, alpha, dropout or target Step1 cannot use.</summary>
    public LoraConfig Validate(string source = "LoraConfig")
    {
        if (R <= 0) throw new InputException(source, null, "r", $"must be positive, got {R}", "use 8 (4–64)");
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
