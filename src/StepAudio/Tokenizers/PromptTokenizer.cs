using StepAudio.Audio;
using StepAudio.Features;

namespace StepAudio.Tokenizers;

/// <summary>
/// Tokenizes a clip the way inference sees a prompt: upstream's <c>preprocess_prompt_wav</c> (mono, scaled to peak
/// 0.6 when louder, <see cref="PromptAudio"/>) first, then the log-mel and the inner tokenizer. Training uses it for
/// the prompt side of LLM examples, so the tokens learned in the system/human turn are the tokens <c>clone</c> and
/// <c>edit</c> will put there. Its identity differs from the inner tokenizer's, so both kinds cache side by side.
/// </summary>
public sealed class PromptTokenizer(IAudioTokenizer inner) : IAudioTokenizer, IDisposable
{
    readonly SpeechFeatureExtractor extractor = new();

    /// <inheritdoc />
    public string Identity => inner.Identity + "+prompt-preprocess";

    /// <inheritdoc />
    public int[] Tokenize(TokenizerInput input)
    {
        var clip = PromptAudio.Preprocess(input.Clip);
        using var mel = extractor.Extract(clip, input.Source);
        return inner.Tokenize(input with { Clip = clip, Mel = mel });
    }

    /// <inheritdoc />
    public void Dispose() => extractor.Dispose();
}
