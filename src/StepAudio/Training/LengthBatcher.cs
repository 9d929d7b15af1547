namespace StepAudio.Training;

/// <summary>
/// Dynamic batching as CosyVoice's <c>dynamic</c> batch: items sorted by length (bucketing), cut into batches of at most
/// <c>batch_size</c> items and at most <c>max_frames_in_batch</c> padded frames (longest × count), whichever binds
/// first; an item longer than the frame cap gets a batch of its own, never dropped. The batch order of every epoch is
/// a seeded shuffle that depends only on (seed, stage, epoch), so a resumed run walks the same order.
/// </summary>
public static class LengthBatcher
{
    /// <summary>Batches of item indices for items of <paramref name="lengths"/>.</summary>
    public static List<int[]> Build(IReadOnlyList<int> lengths, int maxBatchSize, long maxPaddedFrames, bool bucketing = true)
    {
        if (maxBatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(maxBatchSize), "must be positive");
        var order = Enumerable.Range(0, lengths.Count);
        if (bucketing) order = order.OrderBy(i => lengths[i]).ThenBy(i => i);
        var batches = new List<int[]>();
        var current = new List<int>();
        long longest = 0;
        foreach (var i in order)
        {
            long l = Math.Max(longest, lengths[i]);
            if (current.Count > 0 && (current.Count + 1 > maxBatchSize || l * (current.Count + 1) > maxPaddedFrames))
            {
                batches.Add(current.ToArray());
                current.Clear();
                l = lengths[i];
            }
            current.Add(i);
            longest = l;
        }
        if (current.Count > 0) batches.Add(current.ToArray());
        return batches;
    }

    /// <summary>The order in which epoch <paramref name="epoch"/> of <paramref name="stage"/> visits <paramref name="batchCount"/> batches.</summary>
    public static int[] EpochOrder(int batchCount, int seed, TrainingStage stage, int epoch)
    {
        var order = Enumerable.Range(0, batchCount).ToArray();
        var rng = new Random(HashCode32(seed, (int)stage, epoch));
        for (int k = order.Length - 1; k > 0; k--)
        {
            int j = rng.Next(k + 1);
            (order[k], order[j]) = (order[j], order[k]);
        }
        return order;
    }

    /// <summary>A stable (process-independent) mix of integers, for seeds derived from the run seed.</summary>
    public static int HashCode32(params int[] values)
    {
        unchecked
        {
            uint h = 2166136261;
            foreach (var v in values)
                for (int b = 0; b < 4; b++) h = (h ^ (uint)((v >> (8 * b)) & 0xff)) * 16777619;
            return (int)(h & 0x7fffffff);
        }
    }
}
