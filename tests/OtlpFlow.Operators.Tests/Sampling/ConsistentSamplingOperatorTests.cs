using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Sampling;
using static OtlpFlow.Operators.Tests.Sampling.SamplingTestData;

namespace OtlpFlow.Operators.Tests.Sampling;

public sealed class ConsistentSamplingOperatorTests
{
    private static ConsistentSamplingOperator Create(double ratio, ConsistentSamplingMode mode = ConsistentSamplingMode.Parent) =>
        new(new ConsistentSamplingOptions { Ratio = ratio, Mode = mode }, TestOperatorContext.Create("consistent"));

    [Fact]
    public async Task Parent_mode_keeps_an_upstream_decision_with_its_threshold()
    {
        var sampler = Create(0.01);
        var output = new RecordingOutput();
        // th:8 (50%) and randomness above it: the upstream kept it; 1% alone would drop it.
        var batch = Batch(Span(TraceId(0x90000000000000UL), "ot=th:8", id: 1));

        await sampler.ProcessAsync(batch, output, default);

        Assert.Equal("ot=th:8", Assert.Single(Spans(output.On())).TraceState);
        Assert.Equal(1, sampler.Counters.KeptByReason["parent"]);
    }

    [Fact]
    public async Task Parent_mode_samples_spans_without_a_threshold_at_the_ratio()
    {
        var sampler = Create(0.5);
        var output = new RecordingOutput();
        var batch = Batch(Span(TraceId(0x90000000000000UL), id: 1), Span(TraceId(0x10000000000000UL), id: 2));

        await sampler.ProcessAsync(batch, output, default);

        Assert.Equal("ot=th:8", Assert.Single(Spans(output.On())).TraceState);
        Assert.Equal(1, output.Dropped["ratio"]);
    }

    [Fact]
    public async Task Parent_mode_erases_an_inconsistent_threshold_and_samples_at_the_ratio()
    {
        var sampler = Create(0.5);
        var output = new RecordingOutput();
        var batch = Batch(
            Span(TraceId(0x90000000000000UL), "ot=th:e", id: 1),   // inconsistent, kept at 50% with th:8
            Span(TraceId(0x10000000000000UL), "ot=th:e", id: 2));  // inconsistent, dropped at 50%

        await sampler.ProcessAsync(batch, output, default);

        Assert.Equal("ot=th:8", Assert.Single(Spans(output.On())).TraceState);
        Assert.Equal(1, output.ItemsDropped);
    }

    [Fact]
    public async Task Proportional_mode_multiplies_the_upstream_probability()
    {
        var sampler = Create(0.5, ConsistentSamplingMode.Proportional);
        var output = new RecordingOutput();
        // upstream 50% × 0.5 = 25%: threshold c
        var batch = Batch(
            Span(TraceId(0xd0000000000000UL), "ot=th:8", id: 1),
            Span(TraceId(0x90000000000000UL), "ot=th:8", id: 2));

        await sampler.ProcessAsync(batch, output, default);

        Assert.Equal("ot=th:c", Assert.Single(Spans(output.On())).TraceState);
        Assert.Equal(1, output.Dropped["ratio"]);
    }
}
