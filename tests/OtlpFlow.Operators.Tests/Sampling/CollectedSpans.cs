using System.Collections.Concurrent;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Operators.Tests.Sampling;

/// <summary>What <see cref="SpanCollector"/> sinks saw, by operator id.</summary>
public sealed class CollectedSpans : IServiceProvider
{
    public ConcurrentDictionary<string, ConcurrentQueue<Span>> ById { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<Span> Of(string id) => ById.TryGetValue(id, out var q) ? q.ToArray() : [];

    public object? GetService(Type serviceType) => serviceType == typeof(CollectedSpans) ? this : null;
}
