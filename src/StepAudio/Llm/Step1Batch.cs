using static TorchSharp.torch;

namespace StepAudio.Llm;

/// <summary>A right-padded batch: input ids (pad id) and labels (−100 on padding), both int64 [B, S].</summary>
public sealed record Step1Batch(Tensor InputIds, Tensor Labels, int[] Indices) : IDisposable
{
    /// <summary>
    /// Pads <paramref name="examples"/> on the right (Step1 ignores attention masks, so padding must come last, where
    /// causal attention never lets a real token see it).
    /// </summary>
    public static Step1Batch Collate(IReadOnlyList<Step1TrainingExample> examples, int padTokenId, int[]? indices = null)
    {
        if (examples.Count == 0) throw new ArgumentException("a batch needs at least one example");
        int len = examples.Max(e => e.Length);
        var ids = new long[examples.Count * len];
        var labels = new long[ids.Length];
        Array.Fill(ids, padTokenId);
        Array.Fill(labels, CausalLmLoss.IgnoreIndex);
        for (int b = 0; b < examples.Count; b++)
        {
            examples[b].InputIds.CopyTo(ids, b * len);
            examples[b].Labels.CopyTo(labels, b * len);
        }
        return new Step1Batch(tensor(ids, new long[] { examples.Count, len }), tensor(labels, new long[] { examples.Count, len }),
            indices ?? Enumerable.Range(0, examples.Count).ToArray());
    }

    /// <summary>
    /// Length-bucketed batches: examples sorted by length, cut into batches of at most <paramref name="maxBatchSize"/>
    /// examples and <paramref name="maxTokens"/> padded tokens, batch order shuffled with <paramref name="seed"/>
    /// (null keeps the sorted order). Returns example indices per batch.
    /// </summary>
    public static List<int[]> Buckets(IReadOnlyList<Step1TrainingExample> examples, int maxBatchSize, int maxTokens,
        int? seed = null)
    {
        if (maxBatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(maxBatchSize), "must be positive");
        var order = Enumerable.Range(0, examples.Count).OrderBy(i => examples[i].Length).ThenBy(i => i).ToList();
        var batches = new List<int[]>();
        var current = new List<int>();
        int longest = 0;
        foreach (var i in order)
        {
            int l = Math.Max(longest, examples[i].Length);
            if (current.Count > 0 && (current.Count + 1 > maxBatchSize || (long)l * (current.Count + 1) > maxTokens))
            {
                batches.Add(current.ToArray());
                current.Clear();
                l = examples[i].Length;
            }
            current.Add(i);
            longest = l;
        }
        if (current.Count > 0) batches.Add(current.ToArray());
        if (seed is { } s)
        {
            var rng = new Random(s);
            for (int k = batches.Count - 1; k > 0; k--)
            {
                int j = rng.Next(k + 1);
                (batches[k], batches[j]) = (batches[j], batches[k]);
            }
        }
        return batches;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        InputIds.Dispose();
        Labels.Dispose();
    }
}
