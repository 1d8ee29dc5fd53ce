using System.Collections.Concurrent;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Common.V1;

namespace OtlpFlow.Hosting.Tests.TestOperators;

/// <summary>Metrics export requests received by <see cref="MetricsCollector"/>, in arrival order.</summary>
public sealed class CollectedMetrics
{
    private readonly ConcurrentQueue<ExportMetricsServiceRequest> _requests = new();

    public void Add(ExportMetricsServiceRequest request) => _requests.Enqueue(request);

    /// <summary>The values of a monotonic sum's points whose attributes include all of <paramref name="attributes"/>, oldest first.</summary>
    public IReadOnlyList<long> SumValues(string metric, params (string Key, string Value)[] attributes) =>
        _requests
            .SelectMany(r => r.ResourceMetrics)
            .SelectMany(r => r.ScopeMetrics)
            .SelectMany(s => s.Metrics)
            .Where(m => m.Name == metric && m.Sum is not null)
            .SelectMany(m => m.Sum.DataPoints)
            .Where(p => attributes.All(a => p.Attributes.Any(kv => kv.Key == a.Key && Text(kv.Value) == a.Value)))
            .Select(p => p.AsInt)
            .ToList();

    /// <summary>The resource attribute values of every request, for checking who sent them.</summary>
    public IReadOnlyList<string> ResourceAttribute(string key) =>
        _requests
            .SelectMany(r => r.ResourceMetrics)
            .SelectMany(r => r.Resource.Attributes)
            .Where(kv => kv.Key == key)
            .Select(kv => Text(kv.Value))
            .ToList();

    private static string Text(AnyValue value) => value.StringValue;
}
