using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Sampling;

namespace OtlpFlow.Benchmarks.Sampling;

/// <summary>
/// The tail sampler's cost per span: <see cref="Batches"/> requests of 512 spans (traces of 8 spans,
/// each trace split over two requests) held, then all decided by a drain with an error policy and
/// a 10% probabilistic policy. <c>HoldOnly</c> holds the same data without deciding: its allocation
/// per operation divided by the spans is what the sampler keeps per held span. The baseline is the
/// plain structure a hand-written tail sampler starts from: a dictionary of trace id to span list.
/// </summary>
[MemoryDiagnoser]
public class TailSamplingBenchmarks
{
    private const int SpansPerBatch = 512;
    private const int SpansPerTrace = 8;
    private ExportTraceServiceRequest[] _requests = null!;

    /// <summary>Requests per operation.</summary>
    [Params(200)]
    public int Batches { get; set; }

    /// <summary>Spans per operation.</summary>
    public int Spans => Batches * SpansPerBatch;

    /// <summary>Makes the requests.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "checkout" } } } };
        var traceIds = new ByteString[(Batches * SpansPerBatch / SpansPerTrace) + 1];
        for (var t = 0; t < traceIds.Length; t++)
        {
            var id = new byte[16];
            random.NextBytes(id);
            traceIds[t] = ByteString.CopyFrom(id);
        }

        _requests = new ExportTraceServiceRequest[Batches];
        for (var b = 0; b < Batches; b++)
        {
            var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "bench" } };
            for (var i = 0; i < SpansPerBatch; i++)
            {
                // Consecutive requests share traces: the second half of one request's traces and
                // the first half of the next one's, so traces arrive in two parts.
                var trace = ((b * SpansPerBatch) + i) / SpansPerTrace;
                var spanId = new byte[8];
                random.NextBytes(spanId);
                scope.Spans.Add(new Span
                {
                    TraceId = traceIds[trace],
                    SpanId = ByteString.CopyFrom(spanId),
                    ParentSpanId = i % SpansPerTrace == 0 ? ByteString.Empty : ByteString.CopyFrom(spanId),
                    Name = "GET /api/items",
                    Kind = Span.Types.SpanKind.Server,
                    StartTimeUnixNano = 1_700_000_000_000_000_000UL,
                    EndTimeUnixNano = 1_700_000_000_001_000_000UL + (ulong)random.Next(1_000_000),
                    Status = new Status { Code = random.Next(50) == 0 ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Unset },
                    Attributes = { new KeyValue { Key = "http.response.status_code", Value = new AnyValue { IntValue = 200 } } },
                });
            }

            _requests[b] = new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { Resource = resource, ScopeSpans = { scope } } } };
        }
    }

    /// <summary>A dictionary of trace id to the list of its spans, no policy, no bound.</summary>
    [Benchmark(Baseline = true)]
    public int DictionaryBuffer()
    {
        var traces = new Dictionary<ByteString, List<Span>>();
        foreach (var request in _requests)
        {
            foreach (var span in request.ResourceSpans[0].ScopeSpans[0].Spans)
            {
                if (!traces.TryGetValue(span.TraceId, out var list))
                {
                    traces[span.TraceId] = list = [];
                }

                list.Add(span);
            }
        }

        return traces.Count;
    }

    /// <summary>Holds every span, then a drain decides every trace.</summary>
    [Benchmark]
    public async Task<long> HoldAndDecide()
    {
        var output = new NullOutput();
        await using var sampler = Create();
        foreach (var request in _requests)
        {
            await sampler.ProcessAsync(TelemetryBatch.Create(request, sizeBytes: request.CalculateSize()), output, default);
        }

        await sampler.FlushAsync(output, default);
        return output.ItemsOut + output.ItemsDropped;
    }

    /// <summary>Holds every span and decides nothing: the allocation is what held spans cost.</summary>
    [Benchmark]
    public async Task<int> HoldOnly()
    {
        var output = new NullOutput();
        await using var sampler = Create();
        foreach (var request in _requests)
        {
            await sampler.ProcessAsync(TelemetryBatch.Create(request, sizeBytes: request.CalculateSize()), output, default);
        }

        return sampler.HeldTraces;
    }

    private static TailSamplingOperator Create()
    {
        var options = new TailSamplingOptions
        {
            DecisionWait = TimeSpan.FromHours(1),
            AfterRootWait = TimeSpan.FromHours(1),
            Policies =
            [
                new TailPolicyOptions { Type = TailPolicyType.StatusCode, Codes = ["ERROR"] },
                new TailPolicyOptions { Type = TailPolicyType.Probabilistic, Ratio = 0.1 },
            ],
        };
        var context = new OperatorContext("tail", "sampling.tail", NullLogger.Instance, new System.Diagnostics.Metrics.Meter("bench"), TimeProvider.System, EmptyServices.Instance, new MemoryBudget(0), default);
        return new TailSamplingOperator(options, context);
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
