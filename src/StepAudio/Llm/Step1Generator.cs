using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Llm;

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
        options ??= new Step1GenerationOptions();
        if (promptIds.Count == 0) throw new ArgumentException("the prompt is empty", nameof(promptIds));
        if (options.Temperature <= 0 && options.DoSample)
            throw new ArgumentOutOfRangeException(nameof(options), "temperature must be positive when sampling");
        int limit = options.MaxLength - promptIds.Count;
        if (options.MaxNewTokens is { } m) limit = Math.Min(limit, m);
        var ids = promptIds.Select(i => (long)i).ToList();
        var generated = new List<long>();
        if (limit <= 0) return new Step1GenerationResult(Array.Empty<long>(), false);
        model.eval();
        var device = model.lm_head.weight!.device;
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
