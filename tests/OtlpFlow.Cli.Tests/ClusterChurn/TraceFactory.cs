using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>
/// Builds the traces the scenario's clients send: a tree of spans under one root (span <c>i</c>'s
/// parent is span <c>(i - 1) / 2</c>) across two services, with the attributes an instrumented
/// HTTP service exports. The spans go out in the order an SDK that exports on span end sends them:
/// leaves first, the root (which ends last) in the last request.
/// </summary>
internal sealed class TraceFactory(int spansPerTrace, int requestsPerTrace)
{
    private static readonly (string Service, string Name, Span.Types.SpanKind Kind, (string Key, string Value)[] Attributes)[] Shapes =
    [
        ("frontend", "GET /api/orders/{id}", Span.Types.SpanKind.Server, [("http.request.method", "GET"), ("http.route", "/api/orders/{id}"), ("url.scheme", "https"), ("server.address", "shop.example.com")]),
        ("frontend", "orders.Orders/GetOrder", Span.Types.SpanKind.Client, [("rpc.system", "grpc"), ("rpc.service", "orders.Orders"), ("rpc.method", "GetOrder"), ("server.address", "orders")]),
        ("frontend", "GET /api/inventory/{sku}", Span.Types.SpanKind.Client, [("http.request.method", "GET"), ("url.full", "http://inventory/api/inventory/4711"), ("server.address", "inventory")]),
        ("orders", "orders.Orders/GetOrder", Span.Types.SpanKind.Server, [("rpc.system", "grpc"), ("rpc.service", "orders.Orders"), ("rpc.method", "GetOrder")]),
        ("orders", "SELECT shop.orders", Span.Types.SpanKind.Client, [("db.system.name", "postgresql"), ("db.namespace", "shop"), ("db.query.text", "SELECT * FROM orders WHERE id = $1")]),
        ("orders", "GET", Span.Types.SpanKind.Client, [("db.system.name", "redis"), ("db.operation.name", "GET"), ("server.address", "cache")]),
    ];

    private static readonly InstrumentationScope Scope = new() { Name = "OpenTelemetry.Instrumentation.AspNetCore", Version = "1.12.0" };

    /// <summary>
    /// One trace: its requests (in sending order) and the span keys each carries. The spans'
    /// times are laid out from <paramref name="startUnixNanos"/>: each ends just before the request
    /// that carries it is due, at <paramref name="requestOffsets"/> after the start.
    /// </summary>
    public SentTrace Create(Random random, long startUnixNanos, IReadOnlyList<TimeSpan> requestOffsets)
    {
        var traceId = Bytes(random, 16);
        var spanIds = Enumerable.Range(0, spansPerTrace).Select(_ => Bytes(random, 8)).ToArray();
        var perRequest = (spansPerTrace + requestsPerTrace - 1) / requestsPerTrace;

        // Span i (i > 0) is a child of (i - 1) / 2, so a higher index never ends after a lower one:
        // sending in descending index order sends every child no later than its parent.
        var order = Enumerable.Range(0, spansPerTrace).Reverse().ToArray();
        var requests = new byte[requestsPerTrace][];
        var keys = new SpanKey[requestsPerTrace][];
        for (var r = 0; r < requestsPerTrace; r++)
        {
            var indices = order.Skip(r * perRequest).Take(perRequest).ToArray();
            var end = startUnixNanos + (long)(requestOffsets[r].TotalMilliseconds * 1_000_000) - 1_000_000;
            requests[r] = Request(indices.Select(i => (i, NewSpan(random, traceId, spanIds, i, startUnixNanos, end)))).ToByteArray();
            keys[r] = indices.Select(i => new SpanKey(Convert.ToHexStringLower(traceId.Span), Convert.ToHexStringLower(spanIds[i].Span))).ToArray();
        }

        return new SentTrace(Convert.ToHexStringLower(traceId.Span), requests, keys);
    }

    private static Span NewSpan(Random random, ByteString traceId, ByteString[] spanIds, int index, long traceStart, long end)
    {
        var shape = Shapes[index % Shapes.Length];
        var depth = (int)Math.Log2(index + 1);
        var start = Math.Min(end - 1_000_000, traceStart + (depth * 3_000_000L) + random.Next(1_000_000));
        var span = new Span
        {
            TraceId = traceId,
            SpanId = spanIds[index],
            ParentSpanId = index == 0 ? ByteString.Empty : spanIds[(index - 1) / 2],
            Name = shape.Name,
            Kind = shape.Kind,
            StartTimeUnixNano = (ulong)start,
            EndTimeUnixNano = (ulong)end,
            Status = new Status { Code = Status.Types.StatusCode.Unset },
        };
        foreach (var (key, value) in shape.Attributes)
        {
            span.Attributes.Add(new KeyValue { Key = key, Value = new AnyValue { StringValue = value } });
        }

        if (shape.Kind == Span.Types.SpanKind.Server && shape.Name.StartsWith("GET", StringComparison.Ordinal))
        {
            span.Attributes.Add(new KeyValue { Key = "http.response.status_code", Value = new AnyValue { IntValue = 200 } });
        }

        return span;
    }

    /// <summary>One export request holding the given spans, grouped by service as an SDK groups them by resource.</summary>
    private static ExportTraceServiceRequest Request(IEnumerable<(int Index, Span Span)> spans)
    {
        var request = new ExportTraceServiceRequest();
        foreach (var group in spans.GroupBy(s => Shapes[s.Index % Shapes.Length].Service))
        {
            var resource = new Resource();
            resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = group.Key } });
            resource.Attributes.Add(new KeyValue { Key = "service.version", Value = new AnyValue { StringValue = "2.4.1" } });
            resource.Attributes.Add(new KeyValue { Key = "telemetry.sdk.language", Value = new AnyValue { StringValue = "dotnet" } });
            var scope = new ScopeSpans { Scope = Scope };
            scope.Spans.AddRange(group.Select(s => s.Span));
            var resourceSpans = new ResourceSpans { Resource = resource };
            resourceSpans.ScopeSpans.Add(scope);
            request.ResourceSpans.Add(resourceSpans);
        }

        return request;
    }

    private static ByteString Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        do
        {
            random.NextBytes(bytes);
        }
        while (bytes.All(b => b == 0));

        return ByteString.CopyFrom(bytes);
    }
}
