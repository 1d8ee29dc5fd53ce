using OtlpFlow.Operators.Sampling;

namespace OtlpFlow.Operators.Tests.Sampling;

public sealed class OtelTraceStateTests
{
    [Fact]
    public void Reads_th_and_rv_from_the_ot_entry_among_others()
    {
        var values = OtelTraceState.Read("vendor=abc, ot=th:c;rv:0123456789abcd;x:y ,other=1");
        Assert.True(values.HasThreshold);
        Assert.True(values.ThresholdValid);
        Assert.Equal(0xc0000000000000UL, values.Threshold);
        Assert.True(values.HasRandomness);
        Assert.Equal(0x0123456789abcdUL, values.Randomness);
    }

    [Fact]
    public void An_empty_tracestate_has_neither()
    {
        Assert.Equal(default, OtelTraceState.Read(string.Empty));
        Assert.Equal(default, OtelTraceState.Read("vendor=th:8"));
    }

    [Theory]
    [InlineData("", 0xc0000000000000UL, "ot=th:c")]
    [InlineData("vendor=1", 0xc0000000000000UL, "ot=th:c,vendor=1")]
    [InlineData("ot=th:8;rv:0123456789abcd", 0xc0000000000000UL, "ot=th:c;rv:0123456789abcd")]
    [InlineData("a=1,ot=rv:0123456789abcd,b=2", 0UL, "ot=th:0;rv:0123456789abcd,a=1,b=2")]
    [InlineData("ot=x:1;th:8", 0xc0000000000000UL, "ot=x:1;th:c")]
    public void Writing_th_keeps_other_entries_and_moves_ot_first(string before, ulong threshold, string after)
    {
        Assert.Equal(after, OtelTraceState.WithThreshold(before, threshold));
    }

    [Theory]
    [InlineData("ot=th:8", "")]
    [InlineData("ot=th:8;rv:0123456789abcd", "ot=rv:0123456789abcd")]
    [InlineData("a=1,ot=th:zz", "a=1")]
    [InlineData("a=1", "a=1")]
    public void Erasing_th_removes_only_th(string before, string after)
    {
        Assert.Equal(after, OtelTraceState.WithThreshold(before, null));
    }

    [Fact]
    public void An_unchanged_threshold_returns_the_same_string()
    {
        const string state = "a=1,ot=th:c";
        Assert.Same(state, OtelTraceState.WithThreshold(state, 0xc0000000000000UL));
    }
}
