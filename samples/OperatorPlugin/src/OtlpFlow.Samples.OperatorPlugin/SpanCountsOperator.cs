using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Samples.OperatorPlugin;

/// <summary>
/// Passes spans on unchanged and counts them per <c>service.name</c>: spans, error spans and the sum
/// of their durations. Every window it emits the counts as an OTLP metrics request on the
/// <c>metrics</c> port (delta sums over the window), and what it has when the pipeline drains.
/// </summary>
/// <remarks>
/// No lock, timer or cancellation code: the engine runs <see cref="TickAsync"/> every
/// <see cref="TickInterval"/>, never at the same time as <see cref="ProcessAsync"/>, and stops the
/// ticks before <see cref="FlushAsync"/>.
/// </remarks>
[Operator("sample.spanCounts", Options = typeof(SpanCountsOptions),
    Description = "Counts spans, error spans and span durations per service; emits them as metrics on port 'metrics' every window.",
    Example = """{ "window": "10s" }""")]
public sealed class SpanCountsOperator : ProcessorOperator
{
    /// <summary>The port the metrics go to.</summary>
    public const string MetricsPort = "metrics";

    private const string Unknown = "unknown_service";

    private static readonly IReadOnlyList<string> Ports = [IOperatorOutput.DefaultPort, MetricsPort];

    private readonly SpanCountsOptions _options;
    private readonly Dictionary<string, ServiceCounts> _counts = new(StringComparer.Ordinal);
    private DateTimeOffset _windowStart;

    /// <summary>Creates the operator.</summary>
    public SpanCountsOperator(SpanCountsOptions options, OperatorContext context)
        : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <inheritdoc />
    public override IReadOnlyList<string> OutputPorts => Ports;

    /// <inheritdoc />
    public override TimeSpan TickInterval => _options.Window;

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _windowStart = Context.TimeProvider.GetUtcNow();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        foreach (var resource in batch.Traces?.ResourceSpans ?? [])
        {
            var service = ServiceName(resource.Resource);
            if (!_counts.TryGetValue(service, out var counts))
            {
                counts = new ServiceCounts();
                _counts.Add(service, counts);
            }

            foreach (var span in resource.ScopeSpans.SelectMany(s => s.Spans))
            {
                counts.Spans++;
                if (span.Status?.Code == Status.Types.StatusCode.Error)
                {
                    counts.Errors++;
                }

                if (span.EndTimeUnixNano > span.StartTimeUnixNano)
                {
                    counts.DurationSeconds += (span.EndTimeUnixNano - span.StartTimeUnixNano) / 1e9;
                }
            }
        }

        // The spans go on unchanged (a batch of another signal too).
        return output.EmitAsync(batch, cancellationToken);
    }

    /// <inheritdoc />
    public override ValueTask TickAsync(IOperatorOutput output, CancellationToken cancellationToken) => EmitWindowAsync(output, cancellationToken);

    /// <inheritdoc />
    public override ValueTask FlushAsync(IOperatorOutput output, CancellationToken cancellationToken) => EmitWindowAsync(output, cancellationToken);

    private async ValueTask EmitWindowAsync(IOperatorOutput output, CancellationToken cancellationToken)
    {
        var start = _windowStart;
        var end = Context.TimeProvider.GetUtcNow();
        _windowStart = end;
        if (_counts.Count == 0)
        {
            return;
        }

        var request = ToMetrics(_counts, start, end);
        _counts.Clear();

        // These data points were made here, not received: conservation needs to know.
        var metrics = TelemetryBatch.Create(request);
        output.CountCreated(metrics.ItemCount);
        await output.EmitAsync(MetricsPort, metrics, cancellationToken).ConfigureAwait(false);
    }

    private static ExportMetricsServiceRequest ToMetrics(Dictionary<string, ServiceCounts> counts, DateTimeOffset start, DateTimeOffset end)
    {
        var startNanos = UnixNanos(start);
        var endNanos = UnixNanos(end);
        var request = new ExportMetricsServiceRequest();
        foreach (var (service, c) in counts.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var scope = new ScopeMetrics { Scope = new InstrumentationScope { Name = "otlpflow.sample.spanCounts" } };
            scope.Metrics.Add(Sum("spans", "{span}", "Spans seen in the window.", new NumberDataPoint { AsInt = c.Spans }, startNanos, endNanos));
            scope.Metrics.Add(Sum("spans.errors", "{span}", "Spans with an error status in the window.", new NumberDataPoint { AsInt = c.Errors }, startNanos, endNanos));
            scope.Metrics.Add(Sum("spans.duration", "s", "Sum of the durations of the window's spans.", new NumberDataPoint { AsDouble = c.DurationSeconds }, startNanos, endNanos));
            var resource = new ResourceMetrics
            {
                Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = service } } } },
            };
            resource.ScopeMetrics.Add(scope);
            request.ResourceMetrics.Add(resource);
        }

        return request;
    }

    private static Metric Sum(string name, string unit, string description, NumberDataPoint point, ulong start, ulong end)
    {
        point.StartTimeUnixNano = start;
        point.TimeUnixNano = end;
        return new Metric
        {
            Name = name,
            Unit = unit,
            Description = description,
            Sum = new Sum { AggregationTemporality = AggregationTemporality.Delta, IsMonotonic = true, DataPoints = { point } },
        };
    }

    private static string ServiceName(Resource? resource)
    {
        foreach (var attribute in resource?.Attributes ?? [])
        {
            if (attribute.Key == "service.name" && attribute.Value?.ValueCase == AnyValue.ValueOneofCase.StringValue)
            {
                return attribute.Value.StringValue;
            }
        }

        return Unknown;
    }

    private static ulong UnixNanos(DateTimeOffset time) => (ulong)(time - DateTimeOffset.UnixEpoch).Ticks * 100;

    private sealed class ServiceCounts
    {
        public long Spans { get; set; }

        public long Errors { get; set; }

        public double DurationSeconds { get; set; }
    }
}
