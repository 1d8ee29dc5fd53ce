using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Benchmarks.Sampling;
using OtlpFlow.Engine.Conditions;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Routing;

namespace OtlpFlow.Benchmarks.Routing;

/// <summary>
/// Content routing of one batch of 4096 spans over three ports (errors, server spans, the rest):
/// <c>routing.content</c> with conditions against the same split written by hand (field checks
/// in C#, then one request per port built with <see cref="OtlpBatching.Select{T}(ExportTraceServiceRequest, ReadOnlySpan{T}, T)"/>),
/// the baseline. Reported per item.
/// </summary>
[MemoryDiagnoser]
public class ContentRoutingBenchmarks
{
    private const int Items = 4096;
    private ExportTraceServiceRequest _request = null!;
    private ContentRouterOperator _router = null!;
    private NullOutput _output = null!;
    private int[] _decisions = null!;

    /// <summary>Builds the batch and the router.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _request = new ExportTraceServiceRequest();
        for (var r = 0; r < 16; r++)
        {
            var resource = new Resource();
            resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = $"service-{r % 5}" } });
            var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "lib" } };
            for (var i = 0; i < Items / 16; i++)
            {
                var traceId = new byte[16];
                random.NextBytes(traceId);
                scope.Spans.Add(new Span
                {
                    Name = "op",
                    TraceId = ByteString.CopyFrom(traceId),
                    Kind = (Span.Types.SpanKind)random.Next(1, 6),
                    Status = new Status { Code = random.Next(10) == 0 ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Unset },
                });
            }

            var rs = new ResourceSpans { Resource = resource };
            rs.ScopeSpans.Add(scope);
            _request.ResourceSpans.Add(rs);
        }

        _router = new ContentRouterOperator(new ContentRoutingOptions
        {
            Routes = new() { ["errors"] = Condition.Parse("status.code == ERROR"), ["server"] = Condition.Parse("kind == SERVER") },
            Default = "rest",
        }, TestOperatorContext.Create());
        _output = new NullOutput();
        _decisions = new int[Items];
    }

    /// <summary>The same split written in C#.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    public int HandWritten()
    {
        var n = 0;
        foreach (var rs in _request.ResourceSpans)
        {
            foreach (var ss in rs.ScopeSpans)
            {
                foreach (var span in ss.Spans)
                {
                    _decisions[n++] = span.Status?.Code == Status.Types.StatusCode.Error ? 0 : span.Kind == Span.Types.SpanKind.Server ? 1 : 2;
                }
            }
        }

        var items = 0;
        for (var port = 0; port < 3; port++)
        {
            items += OtlpBatching.Select(_request, _decisions.AsSpan(0, n), port).ResourceSpans.Count;
        }

        return items;
    }

    /// <summary><c>routing.content</c> with two conditions and a default port.</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    public ValueTask Operator() => _router.ProcessAsync(TelemetryBatch.Create(_request, ack: Acknowledgement.Create().Share), _output, default);
}
