using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Sampling;
using static OtlpFlow.Operators.Tests.Sampling.SamplingTestData;

namespace OtlpFlow.Operators.Tests.Sampling;

public sealed class AnomalySamplingOperatorTests
{
    private static AnomalySamplingOperator Create(AnomalySamplingOptions options, TimeProvider? clock = null) =>
        new(options, TestOperatorContext.Create("anomaly", timeProvider: clock ?? new FakeTimeProvider()));

    /// <summary>Ordinary spans of one operation: about 10 ms, a little jitter.</summary>
    private static Span[] Ordinary(Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(i => Span(RandomTraceId(random), name: "GET /x", id: i, durationMs: 10 * Math.Exp(0.1 * ((random.NextDouble() * 2) - 1))))];

    [Fact]
    public async Task A_latency_outlier_is_kept_and_ordinary_spans_are_dropped()
    {
        var sampler = Create(new AnomalySamplingOptions { BaselineRatio = 0 });
        var output = new RecordingOutput();
        var random = new Random(1);
        await sampler.ProcessAsync(Batch(Ordinary(random, 200)), output, default);
        Assert.Equal(200, output.Dropped["normal"]);

        var slow = Span(RandomTraceId(random), name: "GET /x", id: 900, durationMs: 500, traceState: "ot=th:8");
        await sampler.ProcessAsync(Batch([slow, .. Ordinary(random, 1)]), output, default);

        var kept = Assert.Single(Spans(output.On()));
        Assert.Equal(slow.SpanId, kept.SpanId);
        Assert.Equal(string.Empty, kept.TraceState); // unknown probability: th erased
        Assert.Equal(1, sampler.Counters.KeptByReason["latency"]);
    }

    [Fact]
    public async Task An_error_where_errors_are_rare_is_kept()
    {
        var sampler = Create(new AnomalySamplingOptions { BaselineRatio = 0 });
        var output = new RecordingOutput();
        var random = new Random(2);
        await sampler.ProcessAsync(Batch(Ordinary(random, 100)), output, default);

        await sampler.ProcessAsync(Batch(Span(RandomTraceId(random), name: "GET /x", durationMs: 10, status: Status.Types.StatusCode.Error)), output, default);

        Assert.Single(Spans(output.On()));
        Assert.Equal(1, sampler.Counters.KeptByReason["error"]);
    }

    [Fact]
    public async Task Outliers_past_the_budget_per_second_are_dropped()
    {
        var clock = new FakeTimeProvider();
        // A lower z threshold: each outlier the model learns widens its variance, and the
        // later outliers here should still count as such.
        var sampler = Create(new AnomalySamplingOptions { BaselineRatio = 0, MaxPerSecond = 1, ZThreshold = 2.5 }, clock);
        var output = new RecordingOutput();
        var random = new Random(3);
        await sampler.ProcessAsync(Batch(Ordinary(random, 200)), output, default);

        Span Slow() => Span(RandomTraceId(random), name: "GET /x", durationMs: 2000);
        await sampler.ProcessAsync(Batch(Slow(), Slow()), output, default);
        Assert.Equal(1, output.ItemsOut);
        Assert.Equal(1, output.Dropped["budget"]);

        clock.Advance(TimeSpan.FromSeconds(1));
        await sampler.ProcessAsync(Batch(Slow()), output, default);
        Assert.Equal(2, output.ItemsOut);
    }

    [Fact]
    public async Task Decisions_are_the_same_for_the_same_seed_and_input()
    {
        async Task<List<string>> Run(int seed)
        {
            var sampler = Create(new AnomalySamplingOptions { BaselineRatio = 0.3, Seed = seed });
            var output = new RecordingOutput();
            var random = new Random(4);
            for (var b = 0; b < 10; b++)
            {
                await sampler.ProcessAsync(Batch(Ordinary(random, 50)), output, default);
            }

            return Spans(output.On()).Select(s => Hex(s.TraceId)).ToList();
        }

        var first = await Run(7);
        Assert.Equal(first, await Run(7));
        Assert.NotEqual(first, await Run(8));
        Assert.InRange(first.Count, 100, 200);
    }
}
