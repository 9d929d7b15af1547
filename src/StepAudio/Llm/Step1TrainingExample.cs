namespace StepAudio.Llm;

/// <summary>
/// One LLM training sequence (spec §1.6, inferred from the inference format): <c>prompt ‖ target audio ids ‖ EOS</c>,
/// with labels −100 on the prompt so that only the assistant's audio tokens and the EOS are scored.
/// </summary>
public sealed record Step1TrainingExample(long[] InputIds, long[] Labels)
{
    /// <summary>Tokens in the sequence.</summary>
    public int Length => InputIds.Length;

    /// <summary>Builds the example from prompt ids and the target's interleaved audio tokens (N values).</summary>
    public static Step1TrainingExample Build(IReadOnlyList<int> promptIds, IEnumerable<int> targetAudioTokens,
        int audioTokenOffset, int eosTokenId)
    {
        var target = Step1AudioTokens.ToIds(targetAudioTokens, audioTokenOffset);
        if (target.Length == 0) throw new ArgumentException("the target has no audio tokens", nameof(targetAudioTokens));
        var input = new long[promptIds.Count + target.Length + 1];
        var labels = new long[input.Length];
        for (int i = 0; i < promptIds.Count; i++)
        {
            input[i] = promptIds[i];
            labels[i] = CausalLmLoss.IgnoreIndex;
        }
        target.CopyTo(input, promptIds.Count);
        target.CopyTo(labels, promptIds.Count);
        input[^1] = labels[^1] = eosTokenId;
        return new Step1TrainingExample(input, labels);
    }
}
