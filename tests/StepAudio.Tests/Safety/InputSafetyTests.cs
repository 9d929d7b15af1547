using System.Text.Json.Nodes;

namespace StepAudio.Tests.Safety;

/// <summary>
/// A mistake never kills the kernel: every public entry point a notebook calls is driven with wrong inputs in a child
/// process (a native abort cannot be caught, so in-process it would take the test host down), and each must throw a
/// .NET exception that says what was expected. The raw-call tests prove the harness would see an abort.
/// </summary>
public class InputSafetyTests
{
    [Fact]
    public void EveryPublicEntryPoint_RejectsWrongInputs_WithAClearDotNetException_AndTheProcessSurvives()
    {
        var r = CrashProbe.Run();
        Assert.False(r.Signalled, "the probe was killed by a signal (a native abort?)\n" + r);
        Assert.True(r.ExitCode == 0, "the probe failed\n" + r);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var cases = lines.Where(l => l.StartsWith('{')).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Contains($"DONE {cases.Count}", lines);
        Assert.True(cases.Count >= 40, $"only {cases.Count} cases ran\n{r}");
        var failures = new List<string>();
        foreach (var c in cases)
        {
            string name = (string)c["case"]!, outcome = (string)c["outcome"]!, message = (string)c["message"]!, expect = (string)c["expect"]!;
            if (outcome != "threw")
                failures.Add($"{name}: {outcome} ({c["type"]}: {message})");
            else if (!message.Contains(expect, StringComparison.Ordinal))
                failures.Add($"{name}: message \"{message}\" lacks \"{expect}\"");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // Each area of the toolkit is covered.
        foreach (var area in new[] { "llm.", "lora.", "flow.", "hift.", "griffinlim.", "mel.", "features.", "tts.", "trainer." })
            Assert.Contains(cases, c => ((string)c["case"]!).StartsWith(area, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("matmul")]
    [InlineData("cummax")]
    [InlineData("autograd-grad")]
    public void TheHarnessSeesANativeAbort(string call)
    {
        var r = CrashProbe.Run("raw", call);
        Assert.True(r.Signalled, $"raw {call} with bad shapes was expected to abort the process\n{r}");
        Assert.Contains("terminate called", r.Stderr);
    }

    [Theory]
    [InlineData("mm")]
    [InlineData("embedding")]
    [InlineData("cross-entropy")]
    public void TheseRawCalls_ThrowACatchableExternalException(string call)
    {
        var r = CrashProbe.Run("raw", call);
        Assert.True(r.ExitCode == 3, $"raw {call} was expected to throw\n{r}");
        Assert.Contains("ExternalException", r.Stdout);
    }
}
