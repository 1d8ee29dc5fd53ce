using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Benchmarks.Engine;

/// <summary>Prepared requests of 512 spans, shared by the engine and the baseline.</summary>
public sealed class BenchmarkData
{
    private long _delivered;
    private long _target;
    private TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates <paramref name="batches"/> requests of <paramref name="spansPerBatch"/> spans.</summary>
    public BenchmarkData(int batches, int spansPerBatch)
    {
        var random = new Random(42);
        var requests = new ExportTraceServiceRequest[batches];
        for (var b = 0; b < batches; b++)
        {
            var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "bench" } };
            for (var i = 0; i < spansPerBatch; i++)
            {
                var traceId = new byte[16];
                var spanId = new byte[8];
                random.NextBytes(traceId);
                random.NextBytes(spanId);
                scope.Spans.Add(new Span
                {
                    TraceId = ByteString.CopyFrom(traceId),
                    SpanId = ByteString.CopyFrom(spanId),
                    Name = "GET /api/items",
                    Kind = Span.Types.SpanKind.Server,
                    StartTimeUnixNano = 1_700_000_000_000_000_000UL + (ulong)i,
                    EndTimeUnixNano = 1_700_000_000_001_000_000UL + (ulong)i,
                    Attributes = { new KeyValue { Key = "http.status_code", Value = new AnyValue { IntValue = 200 } } },
                });
            }

            requests[b] = new ExportTraceServiceRequest
            {
                ResourceSpans =
                {
                    new ResourceSpans
                    {
                        Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "bench" } } } },
                        ScopeSpans = { scope },
                    },
                },
            };
        }

        Requests = requests;
        RequestSize = requests[0].CalculateSize();
        SpansPerBatch = spansPerBatch;
    }

    /// <summary>Requests waiting to enter the pipeline under test (read by its first stage).</summary>
    public System.Threading.Channels.Channel<ExportTraceServiceRequest> Input { get; } =
        System.Threading.Channels.Channel.CreateUnbounded<ExportTraceServiceRequest>(new() { SingleReader = true });

    /// <summary>Expects <paramref name="spans"/> more spans at the sink; the task completes when they arrived.</summary>
    public Task Expect(long spans)
    {
        _reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _target, Interlocked.Read(ref _delivered) + spans);
        return _reached.Task;
    }

    /// <summary>Called by the last stage for every batch it receives.</summary>
    public void Deliver(int spans)
    {
        if (Interlocked.Add(ref _delivered, spans) >= Volatile.Read(ref _target))
        {
            _reached.TrySetResult();
        }
    }

    /// <summary>The requests, in order.</summary>
    public IReadOnlyList<ExportTraceServiceRequest> Requests { get; }

    /// <summary>Encoded size of one request.</summary>
    public int RequestSize { get; }

    /// <summary>Spans in each request.</summary>
    public int SpansPerBatch { get; }
}
