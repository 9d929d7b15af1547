// Mirrors tts.py generation settings and its RepetitionAwareLogitsProcessor (utils.py), on a KV-cached decode loop.
using TorchSharp;
using static TorchSharp.torch;

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

/// <summary>
/// Upstream's repetition guard (tts.py <c>RepetitionAwareLogitsProcessor</c>): over the last 10 tokens of the whole
/// sequence (prompt included), if the last token's share is above 0.1 — it occurs at least twice — its logit is set
/// to −∞. Sequences shorter than 10 are left alone.
/// </summary>
public static class RepetitionAwareLogitsProcessor
{
    /// <summary>Window length.</summary>
    public const int WindowSize = 10;
    /// <summary>Share above which the last token is banned.</summary>
    public const double Threshold = 0.1;

    /// <summary>Applies the rule in place to <paramref name="scores"/> [vocab] for the sequence <paramref name="ids"/>.</summary>
    public static void Apply(IReadOnlyList<long> ids, Tensor scores)
    {
        if (ids.Count < WindowSize) return;
        long last = ids[^1];
        int count = 0;
        for (int i = ids.Count - WindowSize; i < ids.Count; i++) if (ids[i] == last) count++;
        if ((double)count / WindowSize > Threshold && last >= 0 && last < scores.shape[^1])
            scores[last] = float.NegativeInfinity;
    }
}

/// <summary>The tokens a generation produced (EOS excluded) and why it stopped.</summary>
public sealed record Step1GenerationResult(long[] Tokens, bool StoppedAtEos)
{
    /// <summary>The audio tokens N (ids minus the audio offset), for the flow model.</summary>
    public long[] AudioTokens(int audioTokenOffset) => Tokens.Select(t => t - audioTokenOffset).ToArray();
}

/// <summary>
/// KV-cached autoregressive generation for one prompt: the prompt is run once, then one token per step, each
/// attending to the cache. Scores go through the repetition processor, temperature, top-k and top-p in Hugging
/// Face's order, then are sampled (or arg-maxed when greedy). Stops at EOS or the length limit.
/// </summary>
public static class Step1Generator
{
    /// <summary>Generates after <paramref name="promptIds"/>; the model is switched to eval mode.</summary>
    public static Step1GenerationResult Generate(Step1ForCausalLM model, IReadOnlyList<int> promptIds,
        Step1GenerationOptions? options = null)
    {
        const string api = "Step1Generator.Generate";
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(promptIds);
        options ??= new Step1GenerationOptions();
        if (promptIds.Count == 0) throw new ArgumentException($"{api}: the prompt is empty", nameof(promptIds));
        long vocab = model.Config.VocabSize;
        for (int i = 0; i < promptIds.Count; i++)
            if (promptIds[i] < 0 || promptIds[i] >= vocab)
                throw new ArgumentOutOfRangeException(nameof(promptIds),
                    $"{api}: prompt id {promptIds[i]} at position {i} is outside the vocabulary [0, {vocab}); " +
                    "build prompts with the tokenizer of this model");
        if (options.Temperature <= 0 && options.DoSample)
            throw new ArgumentOutOfRangeException(nameof(options), "temperature must be positive when sampling");
        int limit = options.MaxLength - promptIds.Count;
        if (options.MaxNewTokens is { } m) limit = Math.Min(limit, m);
        var ids = promptIds.Select(i => (long)i).ToList();
        var generated = new List<long>();
        if (limit <= 0) return new Step1GenerationResult(Array.Empty<long>(), false);
        model.eval();
        var device = model.LmHeadWeight.device;
        using var generator = options.Seed is { } seed ? new Generator((ulong)seed, device) : null;
        using var cache = new Step1KvCache(model.Config.NumHiddenLayers);
        using var _ = no_grad();
        var input = tensor(ids.ToArray(), device: device).unsqueeze(0);
        bool eos = false;
        for (int step = 0; step < limit; step++)
        {
            using var scope = NewDisposeScope();
            var logits = model.forward(input, cache);
            var scores = logits[0, -1].to_type(ScalarType.Float32).clone();
            if (options.RepetitionAware) RepetitionAwareLogitsProcessor.Apply(ids, scores);
            long next = options.DoSample ? Sample(scores, options, generator) : scores.argmax().item<long>();
            ids.Add(next);
            if (next == options.EosTokenId)
            {
                eos = true;
                break;
            }
            generated.Add(next);
            input = tensor(new[] { next }, device: device).unsqueeze(0).MoveToOuterDisposeScope();
        }
        return new Step1GenerationResult(generated.ToArray(), eos);
    }

    static long Sample(Tensor scores, Step1GenerationOptions o, Generator? generator)
    {
        scores = scores / o.Temperature;
        long vocab = scores.shape[0];
        if (o.TopK > 0 && o.TopK < vocab)
        {
            var kth = scores.topk(o.TopK).values[-1];
            scores = scores.masked_fill(scores < kth, float.NegativeInfinity);
        }
        if (o.TopP < 1.0)
        {
            // HF TopPLogitsWarper: drop the low tail whose cumulative mass is ≤ 1 − top_p, always keeping the best token.
            var (sorted, order) = scores.sort(descending: false);
            var cumulative = sorted.softmax(-1).cumsum(-1);
            var remove = cumulative <= (1 - o.TopP);
            remove[-1] = false;
            var removeOriginal = zeros_like(remove).scatter(0, order, remove);
            scores = scores.masked_fill(removeOriginal, float.NegativeInfinity);
        }
        var probs = scores.softmax(-1);
        return multinomial(probs, 1, generator: generator).item<long>();
    }
}
