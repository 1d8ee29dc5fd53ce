using Google.Protobuf;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Generator;

namespace OtlpFlow.Operators.Tests.Generator;

public class GeneratorDeterminismTests
{
    private static readonly DateTimeOffset FixedStart = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(Signal.Traces)]
    [InlineData(Signal.Metrics)]
    [InlineData(Signal.Logs)]
    public async Task The_same_seed_gives_the_same_bytes(Signal signal)
    {
        var options = new GeneratorOptions { Signal = signal, Count = 2000, BatchSize = 256, Seed = 42 };

        var first = await GeneratorRun.ToEndAsync(options);
        var second = await GeneratorRun.ToEndAsync(options);

        Assert.Equal(first.Count, second.Count);
        for (var i = 0; i < first.Count; i++)
        {
            Assert.Equal(first[i].Payload.ToByteArray(), second[i].Payload.ToByteArray());
        }
    }

    [Theory]
    [InlineData(Signal.Traces)]
    [InlineData(Signal.Metrics)]
    [InlineData(Signal.Logs)]
    public async Task A_different_seed_gives_different_data(Signal signal)
    {
        var one = await GeneratorRun.ToEndAsync(new GeneratorOptions { Signal = signal, Count = 300, Seed = 1 });
        var two = await GeneratorRun.ToEndAsync(new GeneratorOptions { Signal = signal, Count = 300, Seed = 2 });

        Assert.NotEqual(one[0].Payload.ToByteArray(), two[0].Payload.ToByteArray());
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_bytes_whatever_the_clock_says_in_fixed_mode()
    {
        var options = new GeneratorOptions { Count = 500, Seed = 3 };

        var early = await GeneratorRun.ToEndAsync(options, new FakeTimeProvider(new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        var late = await GeneratorRun.ToEndAsync(options, new FakeTimeProvider(new DateTimeOffset(2040, 1, 1, 0, 0, 0, TimeSpan.Zero)));

        Assert.Equal(early[0].Payload.ToByteArray(), late[0].Payload.ToByteArray());
    }

    [Fact]
    public async Task Fixed_timestamps_start_at_the_first_of_january_2026()
    {
        var batches = await GeneratorRun.ToEndAsync(new GeneratorOptions { Count = 100 });

        var spans = ((ExportTraceServiceRequest)batches[0].Payload).ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans);
        Assert.Equal(UnixNanos(FixedStart), spans.Min(s => s.StartTimeUnixNano));
    }

    [Fact]
    public async Task Now_timestamps_start_at_the_pipeline_clock()
    {
        var now = new DateTimeOffset(2031, 7, 14, 9, 30, 0, TimeSpan.Zero);

        var batches = await GeneratorRun.ToEndAsync(new GeneratorOptions { Signal = Signal.Logs, Count = 50, Timestamps = GeneratorTimestamps.Now }, new FakeTimeProvider(now));

        var records = ((ExportLogsServiceRequest)batches[0].Payload).ResourceLogs.SelectMany(r => r.ScopeLogs).SelectMany(s => s.LogRecords);
        Assert.Equal(UnixNanos(now), records.Min(r => r.TimeUnixNano));
    }

    [Fact]
    public async Task Timestamps_advance_from_batch_to_batch()
    {
        var batches = await GeneratorRun.ToEndAsync(new GeneratorOptions { Signal = Signal.Logs, Count = 300, BatchSize = 100 });

        var firstTimes = batches.Select(b => ((ExportLogsServiceRequest)b.Payload).ResourceLogs.SelectMany(r => r.ScopeLogs).SelectMany(s => s.LogRecords).Min(r => r.TimeUnixNano)).ToList();
        Assert.True(firstTimes[0] < firstTimes[1] && firstTimes[1] < firstTimes[2]);
    }

    private static ulong UnixNanos(DateTimeOffset instant) => (ulong)(instant - DateTimeOffset.UnixEpoch).Ticks * 100UL;
}
