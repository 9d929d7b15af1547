using StepAudio.Cli.Commands;

namespace StepAudio.Tests.Cli;

/// <summary>One exit-code rule for every command: 0 success, 1 the user's files or data, 2 wrong usage.</summary>
public class CliExitCodeTests
{
    [Theory]
    [InlineData("no-such-command")]
    [InlineData("check")]                                   // --config is required
    [InlineData("check", "--config")]                       // option without its value
    [InlineData("check", "--config", "x.yaml", "--frobnicate")]
    [InlineData("make-manifest", "dir", "--val-ratio", "lots")]
    [InlineData("export-data", "out")]                      // neither --run nor --config
    [InlineData("export-data", "--run", "r", "--config", "c.yaml", "out")]
    [InlineData("export-data", "--config", "c.yaml", "--mode", "all", "out")]
    public void WrongUsageIsTwo(params string[] args) => Assert.Equal(StepAudioCli.Usage, StepAudioCli.Run(args));

    [Fact]
    public void BadFilesAreOne()
    {
        var dir = Directory.CreateTempSubdirectory("stepaudio-exit-");
        try
        {
            var missing = Path.Combine(dir.FullName, "missing.yaml");
            Assert.Equal(StepAudioCli.BadInput, StepAudioCli.Run(new[] { "check", "--config", missing }));
            var broken = Path.Combine(dir.FullName, "broken.yaml");
            File.WriteAllText(broken, "model:\n  llm: [unclosed\n");
            Assert.Equal(StepAudioCli.BadInput, StepAudioCli.Run(new[] { "check", "--config", broken }));
            var manifest = Path.Combine(dir.FullName, "bad.jsonl");
            File.WriteAllText(manifest, "{not json\n");
            Assert.Equal(StepAudioCli.BadInput, StepAudioCli.Run(new[] { "validate-data", manifest }));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void SuccessIsZero()
    {
        Assert.Equal(StepAudioCli.Success, StepAudioCli.Run(new[] { "--help" }));
        Assert.Equal(StepAudioCli.Success, StepAudioCli.Run(new[] { "check", "--config", Path.Combine(TestPaths.RepoRoot, "configs", "tiny.yaml") }));
    }
}
