using StepAudio.Llm;
using static TorchSharp.torch;

namespace StepAudio.Tests.Llm;

public class GenerationTests
{
    [Fact]
    public void CachedGreedyEqualsFullRecompute()
    {
        using var scope = NewDisposeScope();
        using var model = TinyStep1.Create();
        var prompt = new[] { 1, 4, 7, 9, 11 };
        var opts = Step1GenerationOptions.Greedy with { MaxNewTokens = 8, RepetitionAware = false, EosTokenId = -1 };
        var result = Step1Generator.Generate(model, prompt, opts);
        Assert.Equal(8, result.Tokens.Length);
        Assert.False(result.StoppedAtEos);
        var ids = prompt.Select(i => (long)i).ToList();
        using var _ = no_grad();
        for (int i = 0; i < 8; i++)
        {
            var logits = model.forward(tensor(ids.ToArray()).unsqueeze(0));
            ids.Add(logits[0, -1].argmax().item<long>());
        }
        Assert.Equal(ids.Skip(prompt.Length), result.Tokens);
    }

    [Fact]
    public void StopsAtEosAndExcludesIt()
    {
        using var scope = NewDisposeScope();
        using var model = TinyStep1.Create();
        using (no_grad()) model.LmHeadWeight.zero_();   // all logits equal: greedy picks id 0
        var result = Step1Generator.Generate(model, new[] { 1, 4 }, Step1GenerationOptions.Greedy with { EosTokenId = 0 });
        Assert.True(result.StoppedAtEos);
        Assert.Empty(result.Tokens);
        var capped = Step1Generator.Generate(model, new[] { 1, 4 }, Step1GenerationOptions.Greedy with { EosTokenId = 5, MaxLength = 6, RepetitionAware = false });
        Assert.Equal(4, capped.Tokens.Length);
    }

    [Fact]
    public void RepetitionProcessorBansARepeatedLastToken()
    {
        using var scope = NewDisposeScope();
        var scores = zeros(20);
        RepetitionAwareLogitsProcessor.Apply(new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, scores);
        Assert.True(scores.isfinite().all().item<bool>());
        RepetitionAwareLogitsProcessor.Apply(new long[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 1 }, scores);
        Assert.Equal(float.NegativeInfinity, scores[1].item<float>());
        Assert.Equal(1, (~scores.isfinite()).sum().item<long>());
        var shortSeq = zeros(20);
        RepetitionAwareLogitsProcessor.Apply(new long[] { 1, 1, 1 }, shortSeq);
        Assert.True(shortSeq.isfinite().all().item<bool>());
        // Greedy with the processor never emits the same token three times in a row.
        using var model = TinyStep1.Create();
        using (no_grad()) model.LmHeadWeight.zero_();
        var r = Step1Generator.Generate(model, Enumerable.Range(1, 10).ToArray(), Step1GenerationOptions.Greedy with { MaxNewTokens = 6, EosTokenId = -1 });
        Assert.Equal(new long[] { 0, 0 }, r.Tokens[..2]);
        Assert.NotEqual(0, r.Tokens[2]);
    }

    [Fact]
    public void SeededSamplingIsReproducibleAndTopK1IsGreedy()
    {
        using var scope = NewDisposeScope();
        using var model = TinyStep1.Create();
        var prompt = new[] { 1, 4, 7 };
        var o = new Step1GenerationOptions { MaxNewTokens = 6, Seed = 7, EosTokenId = -1, TopP = 0.9 };
        Assert.Equal(Step1Generator.Generate(model, prompt, o).Tokens, Step1Generator.Generate(model, prompt, o).Tokens);
        var k1 = Step1Generator.Generate(model, prompt, o with { TopK = 1, TopP = 1 }).Tokens;
        var greedy = Step1Generator.Generate(model, prompt, Step1GenerationOptions.Greedy with { MaxNewTokens = 6, EosTokenId = -1 }).Tokens;
        Assert.Equal(greedy, k1);
    }
}
