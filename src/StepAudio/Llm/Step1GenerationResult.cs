namespace StepAudio.Llm;

/// <summary>The tokens a generation produced (EOS excluded) and why it stopped.</summary>
public sealed record Step1GenerationResult(long[] Tokens, bool StoppedAtEos)
{
    /// <summary>The audio tokens N (ids minus the audio offset), for the flow model.</summary>
    public long[] AudioTokens(int audioTokenOffset) => Tokens.Select(t => t - audioTokenOffset).ToArray();
}
