using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Tests.Flow;

public class BatchOperatorTests
{
    /// <summary>Batches go in as objects here, and encoded in pooled segments in <see cref="BatchOperatorEncodedTests"/>.</summary>
    protected virtual bool Encoded => false;

    private readonly FakeTimeProvider _time = new();
    private readonly RecordingOutput _output = new();
    private readonly List<AcknowledgementTracker> _trackers = [];

    private BatchOperator Create(BatchOptions options)
    {
        var op = new BatchOperator(options, TestOperatorContext.Create(timeProvider: _time));
        return op;
    }

    /// <summary>Processes a batch the way the engine does: the input's own share is released after the call.</summary>
    private async Task Send(BatchOperator op, int spans, string? tenant = null, string service = "svc")
    {
        var request = new ExportTraceServiceRequest();
        var scope = new ScopeSpans();
        for (var i = 0; i < spans; i++)
        {
            scope.Spans.Add(new Span { Name = $"s{i}", SpanId = ByteString.CopyFrom(new byte[8]) });
        }

        request.ResourceSpans.Add(new ResourceSpans
        {
            Resource = new Resource { Attributes = { new OpenTelemetry.Proto.Common.V1.KeyValue { Key = "service.name", Value = new() { StringValue = service } } } },
            ScopeSpans = { scope },
        });
        var (share, tracker) = Acknowledgement.Create();
        _trackers.Add(tracker);
        var context = new BatchContext(tenant, new Dictionary<string, string>(), _time.GetUtcNow());
        var batch = Encoded
            ? TelemetryBatch.CopyEncoded(Signal.Traces, request.ToByteArray(), spans, context, share)
            : TelemetryBatch.Create(request, context, share);
        // The operator retains the batch itself (outside the engine, Retain keeps the same share open).
        await op.ProcessAsync(batch, _output, CancellationToken.None);
    }

    [Fact]
    public async Task Sends_one_merged_batch_once_the_size_is_reached()
    {
        var op = Create(new BatchOptions { Size = 10 });
        for (var i = 0; i < 3; i++)
        {
            await Send(op, 3);
        }

        Assert.Empty(_output.Emitted);
        await Send(op, 3);

        var sent = Assert.Single(_output.On());
        Assert.Equal(12, sent.ItemCount);

        // Encoded parts that need no split are joined as bytes: the merged batch is still encoded.
        Assert.Equal(Encoded, sent.TryGetEncoded(out _));
        Assert.Equal(4, sent.Traces!.ResourceSpans.Count);
        Assert.Equal(Enumerable.Range(0, 4).SelectMany(_ => Enumerable.Range(0, 3).Select(i => $"s{i}")), sent.Traces.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).Select(s => s.Name));
        sent.Ack.Deliver();
        Assert.All(_trackers, t => Assert.True(t.Completion.IsCompletedSuccessfully));
    }

    [Fact]
    public async Task Sends_what_has_gathered_when_the_timeout_passes()
    {
        var op = Create(new BatchOptions { Size = 100, Timeout = TimeSpan.FromMilliseconds(200) });
        await Send(op, 3);
        // The ticks the engine would run: one early (nothing is due), one on time.
        _time.Advance(TimeSpan.FromMilliseconds(199));
        await op.TickAsync(_output, default);
        Assert.Empty(_output.Emitted);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        await op.TickAsync(_output, default);
        Assert.Single(_output.On());
        Assert.Equal(3, _output.On()[0].ItemCount);
    }

    [Fact]
    public async Task Splits_at_the_maximum_size_keeping_resource_grouping()
    {
        var op = Create(new BatchOptions { Size = 10, MaxSize = 4 });
        await Send(op, 6, service: "a");
        await Send(op, 6, service: "b");

        var sent = _output.On();
        Assert.Equal([4, 4, 4], sent.Select(b => b.ItemCount));
        var second = sent[1].Traces!;
        Assert.Equal(2, second.ResourceSpans.Count); // 2 spans of "a", 2 of "b"
        Assert.Equal("a", second.ResourceSpans[0].Resource.Attributes[0].Value.StringValue);
        Assert.Equal("b", second.ResourceSpans[1].Resource.Attributes[0].Value.StringValue);
    }

    [Fact]
    public async Task Measures_in_bytes_when_asked()
    {
        var op = Create(new BatchOptions { Size = 200, Unit = BatchUnit.Bytes });
        await Send(op, 2);
        Assert.Empty(_output.Emitted);
        await Send(op, 20);
        var sent = Assert.Single(_output.On());
        Assert.True(sent.SizeBytes >= 200);
    }

    [Fact]
    public async Task Keeps_tenants_apart()
    {
        var op = Create(new BatchOptions { Size = 4 });
        await Send(op, 2, tenant: "a");
        await Send(op, 2, tenant: "b");
        Assert.Empty(_output.Emitted);

        await Send(op, 2, tenant: "a");
        var sent = Assert.Single(_output.On());
        Assert.Equal("a", sent.Context.Tenant);
        Assert.Equal(4, sent.ItemCount);
    }

    [Fact]
    public async Task Flush_on_drain_sends_everything_held()
    {
        var op = Create(new BatchOptions { Size = 1000 });
        await Send(op, 5, tenant: "a");
        await Send(op, 7, tenant: "b");

        await op.FlushAsync(_output, CancellationToken.None);

        Assert.Equal(12, _output.ItemsOut);
    }

    [Fact]
    public async Task A_merged_batch_answers_every_request_it_holds_and_a_failure_fails_them_all()
    {
        var op = Create(new BatchOptions { Size = 6, MaxSize = 3 });
        await Send(op, 3);
        await Send(op, 3);
        var sent = _output.On();
        Assert.Equal(2, sent.Count);
        Assert.All(_trackers, t => Assert.False(t.Completion.IsCompleted));

        sent[0].Ack.Deliver();
        Assert.All(_trackers, t => Assert.False(t.Completion.IsCompleted));
        sent[1].Ack.Fail(3, new InvalidOperationException("exporter down"));

        foreach (var tracker in _trackers)
        {
            var result = await tracker.Completion;
            Assert.False(result.Succeeded);
            Assert.Equal("exporter down", result.Error!.Message);
        }
    }

    [Fact]
    public async Task Logs_are_batched_apart_from_traces()
    {
        var op = Create(new BatchOptions { Size = 2 });
        await Send(op, 1);
        var logs = new ExportLogsServiceRequest { ResourceLogs = { new ResourceLogs { ScopeLogs = { new ScopeLogs { LogRecords = { new LogRecord(), new LogRecord() } } } } } };
        await op.ProcessAsync(TelemetryBatch.Create(logs), _output, CancellationToken.None);

        var sent = Assert.Single(_output.On());
        Assert.Equal(Signal.Logs, sent.Signal);
        Assert.Equal(2, sent.ItemCount);
    }

    [Fact]
    public void Options_reject_a_maximum_below_the_size()
    {
        var errors = new List<OptionError>();
        var bound = OptionsBinder.Bind(typeof(BatchOptions), JsonNode.Parse("""{ "size": 100, "maxSize": 10, "timeout": "1s" }""")!.AsObject(), errors);
        Assert.Null(bound);
        var error = Assert.Single(errors);
        Assert.Equal("maxSize", error.Key);
        Assert.Contains("at least 'size'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_read_durations_and_report_a_number_given_for_a_duration()
    {
        var errors = new List<OptionError>();
        var ok = (BatchOptions?)OptionsBinder.Bind(typeof(BatchOptions), JsonNode.Parse("""{ "timeout": "1.5s", "unit": "bytes" }""")!.AsObject(), errors);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), ok!.Timeout);
        Assert.Equal(BatchUnit.Bytes, ok.Unit);

        OptionsBinder.Bind(typeof(BatchOptions), JsonNode.Parse("""{ "timeout": 10, "sise": 5 }""")!.AsObject(), errors);
        Assert.Contains(errors, e => e.Key == "timeout" && e.Message.Contains("must be a duration like", StringComparison.Ordinal) && e.Message.EndsWith("got 10", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Key == "sise" && e.Message.Contains("did you mean 'size'", StringComparison.Ordinal));
    }

    private static Task Eventually(Func<bool> condition) => Poll.UntilAsync(condition, "the batch to be sent");
}

/// <summary>Every test of <see cref="BatchOperatorTests"/> with encoded input batches.</summary>
public sealed class BatchOperatorEncodedTests : BatchOperatorTests
{
    protected override bool Encoded => true;
}
