namespace StepAudio.Llm;

/// <summary>
/// Sampling settings. Defaults are upstream's <c>llm.generate(max_length=8192, temperature=0.7, do_sample=True)</c>
/// with Hugging Face's default top-k of 50, and the repetition-aware processor on.
/// </summary>
public sealed record Step1GenerationOptions
{
    /// <summary>Longest total sequence, prompt included (HF <c>max_length</c>).</summary>
    public int MaxLength { get; init; } = 8192;
    /// <summary>Most new tokens (null: only <see cref="MaxLength"/> limits).</summary>
    public int? MaxNewTokens { get; init; }
    /// <summary>Sample (true) or take the arg-max (false, greedy).</summary>
    public bool DoSample { get; init; } = true;
    /// <summary>Softmax temperature (0.7 upstream).</summary>
    public double Temperature { get; init; } = 0.7;
    /// <summary>Keep the k most likely tokens (0 = off; HF default 50).</summary>
    public int TopK { get; init; } = 50;
    /// <summary>Nucleus mass (1 = off).</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Apply upstream's <see cref="RepetitionAwareLogitsProcessor"/>.</summary>
    public bool RepetitionAware { get; init; } = true;
    /// <summary>Seed for sampling (null: nondeterministic).</summary>
    public long? Seed { get; init; }
    /// <summary>Stop token (3, <c>&lt;|EOT|&gt;</c>).</summary>
    public int EosTokenId { get; init; } = 3;

    /// <summary>Greedy decoding with the repetition processor, for tests and reproducible runs.</summary>
    public static Step1GenerationOptions Greedy { get; } = new() { DoSample = false };
}
