using System.Buffers;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// The spans of one trace request as flat arrays (span, its resource entry, its scope entry), so
/// that a sampler decides over indexes and vectorizes over arrays. Arrays come from the shared
/// pool; dispose to return them. The order is the request's: resource, then scope, then span.
/// </summary>
internal sealed class SpanTable : IDisposable
{
    private SpanTable(int count)
    {
        Count = count;
        Spans = ArrayPool<Span>.Shared.Rent(Math.Max(count, 1));
        Resources = ArrayPool<ResourceSpans>.Shared.Rent(Math.Max(count, 1));
        Scopes = ArrayPool<ScopeSpans>.Shared.Rent(Math.Max(count, 1));
    }

    public int Count { get; }

    public Span[] Spans { get; }

    public ResourceSpans[] Resources { get; }

    public ScopeSpans[] Scopes { get; }

    public static SpanTable From(ExportTraceServiceRequest request)
    {
        var table = new SpanTable(Engine.Telemetry.OtlpItems.Count(request));
        var n = 0;
        for (var r = 0; r < request.ResourceSpans.Count; r++)
        {
            var resourceSpans = request.ResourceSpans[r];
            for (var s = 0; s < resourceSpans.ScopeSpans.Count; s++)
            {
                var scopeSpans = resourceSpans.ScopeSpans[s];
                for (var i = 0; i < scopeSpans.Spans.Count; i++)
                {
                    table.Spans[n] = scopeSpans.Spans[i];
                    table.Resources[n] = resourceSpans;
                    table.Scopes[n] = scopeSpans;
                    n++;
                }
            }
        }

        return table;
    }

    /// <summary>
    /// A new request holding the spans whose decision is <paramref name="which"/>, grouped as in
    /// <paramref name="request"/>: new resource and scope entries around the same span objects.
    /// </summary>
    public static ExportTraceServiceRequest Select(ExportTraceServiceRequest request, ReadOnlySpan<byte> decisions, byte which) =>
        OtlpBatching.Select(request, decisions, which);

    public void Dispose()
    {
        ArrayPool<Span>.Shared.Return(Spans, clearArray: true);
        ArrayPool<ResourceSpans>.Shared.Return(Resources, clearArray: true);
        ArrayPool<ScopeSpans>.Shared.Return(Scopes, clearArray: true);
    }
}
