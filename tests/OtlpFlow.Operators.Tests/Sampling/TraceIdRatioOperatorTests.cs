using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Sampling;
using static OtlpFlow.Operators.Tests.Sampling.SamplingTestData;

namespace OtlpFlow.Operators.Tests.Sampling;

public sealed class TraceIdRatioOperatorTests
{
    private const ulong Quarter = 0xc0000000000000UL; // T for ratio 0.25

    private static (TraceIdRatioOperator Sampler, RecordingOutput Output) Create(double ratio)
    {
        var sampler = new TraceIdRatioOperator(new TraceIdRatioOptions { Ratio = ratio }, TestOperatorContext.Create("ratio"));
        return (sampler, new RecordingOutput());
    }

    [Fact]
    public async Task Keeps_spans_whose_randomness_reaches_the_threshold_and_writes_th()
    {
        var (sampler, output) = Create(0.25);
        var batch = Batch(Span(TraceId(Quarter), id: 1), Span(TraceId(Quarter - 1), id: 2), Span(TraceId(ConsistentProbability.Mask56), id: 3));

        await sampler.ProcessAsync(batch, output, default);

        var kept = Spans(output.On()).ToList();
        Assert.Equal([1, 3], kept.Select(s => (int)BitConverter.ToInt64(s.SpanId.Span) - 1));
        Assert.All(kept, s => Assert.Equal("ot=th:c", s.TraceState));
        Assert.Equal(1, output.Dropped["ratio"]);
        Assert.Equal(2, sampler.Counters.KeptByReason["ratio"]);
        Assert.Equal(1, sampler.Counters.DroppedByReason["ratio"]);
    }

    [Fact]
    public async Task Explicit_rv_overrides_the_trace_id()
    {
        var (sampler, output) = Create(0.25);
        var batch = Batch(
            Span(TraceId(ConsistentProbability.Mask56), "ot=rv:" + Hex(Quarter - 1), id: 1),
            Span(TraceId(0), "ot=rv:" + Hex(Quarter), id: 2));

        await sampler.ProcessAsync(batch, output, default);

        var kept = Assert.Single(Spans(output.On()));
        Assert.Equal("ot=th:c;rv:" + Hex(Quarter), kept.TraceState);
    }

    [Fact]
    public async Task A_kept_upstream_threshold_written_with_trailing_zeros_is_rewritten_without_them()
    {
        var (sampler, output) = Create(0.5);
        var batch = Batch(Span(TraceId(0xf0000000000000UL), "ot=th:80000000000000", id: 1), Span(TraceId(0xf0000000000000UL), "ot=th:8", id: 2));

        await sampler.ProcessAsync(batch, output, default);

        Assert.Equal(["ot=th:8", "ot=th:8"], Spans(output.On()).Select(s => s.TraceState));
    }

    [Fact]
    public async Task A_lower_upstream_threshold_is_raised_and_a_higher_one_is_kept()
    {
        var (sampler, output) = Create(0.25);
        var r = 0xf0000000000000UL;
        var batch = Batch(Span(TraceId(r), "ot=th:8", id: 1), Span(TraceId(r), "ot=th:e", id: 2));

        await sampler.ProcessAsync(batch, output, default);

        Assert.Equal(["ot=th:c", "ot=th:e"], Spans(output.On()).Select(s => s.TraceState));
    }

    [Fact]
    public async Task An_inconsistent_upstream_threshold_is_erased_and_replaced()
    {
        var (sampler, output) = Create(0.5);
        // randomness 0xd0.. is below th:e, which an upstream keep could not have produced
        var batch = Batch(Span(TraceId(0xd0000000000000UL), "ot=th:e,vendor=1", id: 1));

        await sampler.ProcessAsync(batch, output, default);

        Assert.Equal("ot=th:8,vendor=1", Assert.Single(Spans(output.On())).TraceState);
    }

    [Fact]
    public async Task Ratio_one_keeps_everything_with_th_0_and_ratio_zero_drops_everything()
    {
        var (all, allOut) = Create(1);
        var (none, noneOut) = Create(0);
        var random = new Random(3);
        var spans = Enumerable.Range(0, 100).Select(i => Span(RandomTraceId(random), id: i)).ToArray();

        await all.ProcessAsync(Batch(spans), allOut, default);
        await none.ProcessAsync(Batch(spans.Select(s => s.Clone()).ToArray()), noneOut, default);

        Assert.Equal(100, allOut.ItemsOut);
        Assert.All(Spans(allOut.On()), s => Assert.Equal("ot=th:0", s.TraceState));
        Assert.Equal(0, noneOut.ItemsOut);
        Assert.Equal(100, noneOut.Dropped["ratio"]);
    }

    [Fact]
    public async Task Metrics_and_logs_pass_unchanged()
    {
        var (sampler, output) = Create(0.1);
        var logs = Engine.Telemetry.TelemetryBatch.Create(new OpenTelemetry.Proto.Collector.Logs.V1.ExportLogsServiceRequest());
        await sampler.ProcessAsync(logs, output, default);
        Assert.Same(logs, Assert.Single(output.On()));
    }

    [Fact]
    public async Task Generated_200000_spans_at_ratio_a_quarter_keep_25_percent_as_whole_traces()
    {
        var store = new CollectedSpans();
        var registry = new OperatorRegistry()
            .AddAssembly(typeof(TraceIdRatioOperator).Assembly)
            .AddOperator<SpanCollector>("test.collect");
        await using var pipeline = new PipelineBuilder(registry, store).Build(PipelineLoader.Parse("""
        { "operators": {
            "gen":   { "type": "generate", "count": 200000, "batchSize": 1000, "seed": 42 },
            "ratio": { "type": "sampling.traceIdRatio", "inputs": ["gen"], "ratio": 0.25 },
            "kept":  { "type": "test.collect", "inputs": ["ratio"] },
            "all":   { "type": "test.collect", "inputs": ["gen"] } } }
        """, "test.json"));
        await pipeline.StartAsync();
        await pipeline.Completion;

        var all = store.Of("all");
        var kept = store.Of("kept");
        Assert.Equal(200000, all.Count);
        Assert.InRange(kept.Count / 200000.0, 0.24, 0.26);
        Assert.True(pipeline.Counters["ratio"].Balanced);

        // A trace is kept or dropped as a unit: every kept trace has all of its spans.
        var spansPerTrace = all.GroupBy(s => s.TraceId).ToDictionary(g => g.Key, g => g.Count());
        var keptPerTrace = kept.GroupBy(s => s.TraceId).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(keptPerTrace, t => Assert.Equal(spansPerTrace[t.Key], t.Value));
        Assert.InRange(keptPerTrace.Count / (double)spansPerTrace.Count, 0.24, 0.26);

        // The fan-out gave the sampler its own copy: the other branch has no th.
        Assert.All(all, s => Assert.DoesNotContain("th:", s.TraceState, StringComparison.Ordinal));
        Assert.All(kept, s => Assert.Equal("ot=th:c", s.TraceState));
    }
}
