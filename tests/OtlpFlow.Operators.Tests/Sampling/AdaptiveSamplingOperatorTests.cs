using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Sampling;
using static OtlpFlow.Operators.Tests.Sampling.SamplingTestData;

namespace OtlpFlow.Operators.Tests.Sampling;

public sealed class AdaptiveSamplingOperatorTests
{
    // Spans per second of each span name: one heavy key, two middling, one rare.
    private static readonly (string Name, double PerSecond)[] Load = [("GET /a", 2000), ("GET /b", 400), ("GET /c", 100), ("GET /rare", 3)];

    [Fact]
    public async Task Converges_within_10_percent_of_its_target_on_a_skewed_load_and_keeps_rare_keys()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var sampler = new AdaptiveSamplingOperator(
            new AdaptiveSamplingOptions { TargetPerSecond = 300, AdjustmentInterval = TimeSpan.FromSeconds(1) },
            TestOperatorContext.Create("adaptive", timeProvider: clock));
        var output = new RecordingOutput();
        var random = new Random(11);
        var step = TimeSpan.FromMilliseconds(100);
        var carry = new double[Load.Length];
        long keptBefore = 0;
        long rareSent = 0, rareKeptAfterWarmup = 0, rareSentAfterWarmup = 0;
        const int WarmupSeconds = 10, Seconds = 40;
        for (var tick = 0; tick < Seconds * 10; tick++)
        {
            var spans = new List<Span>();
            for (var k = 0; k < Load.Length; k++)
            {
                carry[k] += Load[k].PerSecond * step.TotalSeconds;
                for (; carry[k] >= 1; carry[k]--)
                {
                    spans.Add(Span(RandomTraceId(random), name: Load[k].Name));
                }
            }

            var rareHere = spans.Count(s => s.Name == "GET /rare");
            rareSent += rareHere;
            if (tick == WarmupSeconds * 10)
            {
                keptBefore = output.ItemsOut;
            }

            var before = Spans(output.On()).Count(s => s.Name == "GET /rare");
            await sampler.ProcessAsync(Batch("checkout", [.. spans]), output, default);
            if (tick >= WarmupSeconds * 10)
            {
                rareSentAfterWarmup += rareHere;
                rareKeptAfterWarmup += Spans(output.On()).Count(s => s.Name == "GET /rare") - before;
            }

            clock.Advance(step);
        }

        var perSecond = (output.ItemsOut - keptBefore) / (double)(Seconds - WarmupSeconds);
        Assert.InRange(perSecond, 270, 330);
        Assert.True(rareSentAfterWarmup > 0);
        Assert.Equal(rareSentAfterWarmup, rareKeptAfterWarmup);
        Assert.Equal(1.0, sampler.Probabilities["checkout\u001fGET /rare"]);
        Assert.True(sampler.Probabilities["checkout\u001fGET /a"] < 0.1);
    }

    [Fact]
    public async Task Kept_spans_carry_their_effective_probability_as_th()
    {
        var clock = new FakeTimeProvider();
        var sampler = new AdaptiveSamplingOperator(
            new AdaptiveSamplingOptions { TargetPerSecond = 10, AdjustmentInterval = TimeSpan.FromSeconds(1), Key = ["name"] },
            TestOperatorContext.Create("adaptive", timeProvider: clock));
        var output = new RecordingOutput();
        var random = new Random(5);
        await sampler.ProcessAsync(Batch([.. Enumerable.Range(0, 40).Select(_ => Span(RandomTraceId(random), name: "x"))]), output, default);
        Assert.All(Spans(output.On()), s => Assert.Equal("ot=th:0", s.TraceState)); // no history yet: everything kept

        clock.Advance(TimeSpan.FromSeconds(1));
        output = new RecordingOutput();
        await sampler.ProcessAsync(Batch([.. Enumerable.Range(0, 400).Select(_ => Span(RandomTraceId(random), name: "x"))]), output, default);

        // 40 per second against a target of 10: probability 1/4, threshold c.
        Assert.NotEmpty(Spans(output.On()));
        Assert.All(Spans(output.On()), s => Assert.Equal("ot=th:c", s.TraceState));
        Assert.Equal(0.25, sampler.Probabilities["x"]);
    }
}
