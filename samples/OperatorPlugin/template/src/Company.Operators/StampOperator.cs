using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace Company.Operators;

/// <summary>Sets a resource attribute on every batch that passes (traces, metrics and logs).</summary>
[Operator("company.operators.stamp", Options = typeof(StampOptions),
    Description = "Sets a resource attribute on every batch.",
    Example = """{ "key": "team", "value": "payments" }""")]
public sealed class StampOperator : ProcessorOperator
{
    private readonly StampOptions _options;

    /// <summary>Creates the operator: read options here, but open no files or sockets (validation builds operators too).</summary>
    public StampOperator(StampOptions options, OperatorContext context)
        : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>It edits the batches it receives: where data fans out, the engine gives it a copy.</summary>
    public override bool MutatesData => true;

    /// <inheritdoc />
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        IEnumerable<Resource> resources = batch.Payload switch
        {
            ExportTraceServiceRequest traces => traces.ResourceSpans.Select(r => r.Resource ??= new Resource()),
            ExportMetricsServiceRequest metrics => metrics.ResourceMetrics.Select(r => r.Resource ??= new Resource()),
            ExportLogsServiceRequest logs => logs.ResourceLogs.Select(r => r.Resource ??= new Resource()),
            _ => [],
        };
        foreach (var resource in resources)
        {
            var attribute = resource.Attributes.FirstOrDefault(a => a.Key == _options.Key);
            if (attribute is null)
            {
                attribute = new KeyValue { Key = _options.Key };
                resource.Attributes.Add(attribute);
            }

            attribute.Value = new AnyValue { StringValue = _options.Value };
        }

        // The one way out: the engine counts it, waits for room downstream and settles the acknowledgement.
        return output.EmitAsync(batch, cancellationToken);
    }
}
