using OtlpFlow.Engine.Options;

namespace OtlpFlow.Engine.Tests.Options;

public sealed class DurationAndSizeTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("10s", 10_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1.5s", 1500)]
    [InlineData("0", 0)]
    public void Durations_parse(string text, long milliseconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("10")]
    [InlineData("ten seconds")]
    [InlineData("5x")]
    [InlineData("")]
    public void Non_durations_are_rejected(string text) => Assert.False(Duration.TryParse(text, out _));

    [Theory]
    [InlineData(250, "250ms")]
    [InlineData(10_000, "10s")]
    [InlineData(5_400_000, "1h30m")]
    public void Durations_print_as_they_are_written(long milliseconds, string text) =>
        Assert.Equal(text, Duration.Format(TimeSpan.FromMilliseconds(milliseconds)));

    [Theory]
    [InlineData("64KiB", 65_536)]
    [InlineData("1GiB", 1_073_741_824)]
    [InlineData("500MB", 500_000_000)]
    [InlineData("100", 100)]
    public void Sizes_parse(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var value));
        Assert.Equal(bytes, value.Bytes);
    }

    [Fact]
    public void Sizes_print_in_the_largest_exact_binary_unit()
    {
        Assert.Equal("64MiB", ByteSize.FromMiB(64).ToString());
        Assert.Equal("1000B", new ByteSize(1000).ToString());
        Assert.False(ByteSize.TryParse("12 parsecs", out _));
    }
}
