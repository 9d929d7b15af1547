using StepAudio.Training.Planning;

namespace StepAudio.Tests.Training.Planning;

public class ByteSizeTests
{
    [Theory]
    [InlineData("16GB", 16_000_000_000L)]
    [InlineData("512MiB", 512L << 20)]
    [InlineData("1.5 GiB", 3L << 29)]
    [InlineData("2tb", 2_000_000_000_000L)]
    [InlineData("4096", 4096L)]
    [InlineData("64k", 64_000L)]
    public void Parses(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var b));
        Assert.Equal(bytes, b);
    }

    [Theory]
    [InlineData("")]
    [InlineData("lots")]
    [InlineData("-1GB")]
    [InlineData("12XB")]
    [InlineData("0")]
    [InlineData("1.5.2GB")]
    public void RejectsWhatIsNotASize(string text) => Assert.False(ByteSize.TryParse(text, out _));

    [Fact]
    public void Formats() => Assert.Equal(["1.50 GiB", "230.0 MiB", "2.0 KiB"], new[] { ByteSize.Format(3L << 29), ByteSize.Format(230L << 20), ByteSize.Format(2048) });
}
