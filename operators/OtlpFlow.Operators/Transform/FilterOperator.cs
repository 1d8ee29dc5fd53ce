using System.Buffers;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Conditions;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Transform;

/// <summary>
/// Drops the spans, log records and data points that match any of its rules, counting them by
/// rule, and passes the rest on with their resource and scope grouping. The input is never
/// changed: a partly kept batch goes on as a new request made of new containers around the same
/// item objects; a fully kept one goes on as it is.
/// </summary>
[Operator("filter", Options = typeof(FilterOptions), Description = "Drops spans, log records and data points that match a condition, counted by rule.",
    Example = """{ "drop": { "internal": "kind == INTERNAL" } }""")]
public sealed class FilterOperator : ProcessorOperator
{
    private const int Keep = -1;

    private readonly string[] _ruleNames;
    private readonly Condition[] _conditions;

    /// <summary>Creates the operator.</summary>
    /// <exception cref="ArgumentException">A rule has no condition.</exception>
    public FilterOperator(FilterOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Drop);

        // A dictionary built by adding only keeps insertion order, which is the order the rules
        // were written in: that order decides which rule a drop is counted under.
        _ruleNames = [.. options.Drop.Keys];
        _conditions = new Condition[_ruleNames.Length];
        for (var n = 0; n < _ruleNames.Length; n++)
        {
            _conditions[n] = options.Drop[_ruleNames[n]] ?? throw new ArgumentException($"Rule '{_ruleNames[n]}' has no condition.", nameof(options));
        }
    }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        if (_conditions.Length == 0)
        {
            await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
            return;
        }

        var kept = Filter(batch, output);
        if (kept is null)
        {
            return; // everything was dropped and counted; the engine releases the input's share
        }

        await output.EmitAsync(ReferenceEquals(kept, batch.Payload) ? batch : batch.Derive(kept), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The payload to send on: the input's own when nothing is dropped, null when nothing is kept.</summary>
    private IMessage? Filter(TelemetryBatch batch, IOperatorOutput output)
    {
        // One decision per item (the index of the rule that drops it, or Keep), so that conditions
        // are evaluated once and the new request is built only when it is needed.
        // Sized from the payload rather than ItemCount, which an upstream operator that changes
        // data in place may have left stale.
        var count = batch.Payload switch
        {
            ExportTraceServiceRequest traces => OtlpItems.Count(traces),
            ExportLogsServiceRequest logs => OtlpItems.Count(logs),
            ExportMetricsServiceRequest metrics => OtlpItems.Count(metrics),
            _ => throw new InvalidOperationException($"Unexpected payload {batch.Payload.GetType().Name}."),
        };
        var decisions = ArrayPool<int>.Shared.Rent(count);
        var dropsByRule = new long[_conditions.Length];
        try
        {
            var (items, dropped) = batch.Payload switch
            {
                ExportTraceServiceRequest traces => Decide(traces, decisions, dropsByRule),
                ExportLogsServiceRequest logs => Decide(logs, decisions, dropsByRule),
                _ => Decide((ExportMetricsServiceRequest)batch.Payload, decisions, dropsByRule),
            };

            for (var rule = 0; rule < dropsByRule.Length; rule++)
            {
                if (dropsByRule[rule] > 0)
                {
                    output.CountDropped(dropsByRule[rule], _ruleNames[rule]);
                }
            }

            if (dropped == 0)
            {
                return batch.Payload;
            }

            if (dropped == items)
            {
                return null;
            }

            return batch.Payload switch
            {
                ExportTraceServiceRequest traces => OtlpBatching.Select(traces, decisions.AsSpan(0, items), Keep),
                ExportLogsServiceRequest logs => OtlpBatching.Select(logs, decisions.AsSpan(0, items), Keep),
                _ => OtlpBatching.Select((ExportMetricsServiceRequest)batch.Payload, decisions.AsSpan(0, items), Keep),
            };
        }
        finally
        {
            ArrayPool<int>.Shared.Return(decisions);
        }
    }

    private int FirstMatch(Resource? resource, InstrumentationScope? scope, Span span)
    {
        for (var rule = 0; rule < _conditions.Length; rule++)
        {
            if (_conditions[rule].Matches(resource, scope, span))
            {
                return rule;
            }
        }

        return Keep;
    }

    private int FirstMatch(Resource? resource, InstrumentationScope? scope, LogRecord log)
    {
        for (var rule = 0; rule < _conditions.Length; rule++)
        {
            if (_conditions[rule].Matches(resource, scope, log))
            {
                return rule;
            }
        }

        return Keep;
    }

    private int FirstMatch(Resource? resource, InstrumentationScope? scope, Metric metric, DataPointView point)
    {
        for (var rule = 0; rule < _conditions.Length; rule++)
        {
            if (_conditions[rule].Matches(resource, scope, metric, point))
            {
                return rule;
            }
        }

        return Keep;
    }

    // Index loops throughout: enumerating a RepeatedField allocates an enumerator.
    private (int Items, int Dropped) Decide(ExportTraceServiceRequest request, int[] decisions, long[] dropsByRule)
    {
        int items = 0, dropped = 0;
        for (var r = 0; r < request.ResourceSpans.Count; r++)
        {
            var resourceSpans = request.ResourceSpans[r];
            for (var s = 0; s < resourceSpans.ScopeSpans.Count; s++)
            {
                var scopeSpans = resourceSpans.ScopeSpans[s];
                for (var i = 0; i < scopeSpans.Spans.Count; i++)
                {
                    var rule = FirstMatch(resourceSpans.Resource, scopeSpans.Scope, scopeSpans.Spans[i]);
                    decisions[items++] = rule;
                    if (rule != Keep)
                    {
                        dropsByRule[rule]++;
                        dropped++;
                    }
                }
            }
        }

        return (items, dropped);
    }

    private (int Items, int Dropped) Decide(ExportLogsServiceRequest request, int[] decisions, long[] dropsByRule)
    {
        int items = 0, dropped = 0;
        for (var r = 0; r < request.ResourceLogs.Count; r++)
        {
            var resourceLogs = request.ResourceLogs[r];
            for (var s = 0; s < resourceLogs.ScopeLogs.Count; s++)
            {
                var scopeLogs = resourceLogs.ScopeLogs[s];
                for (var i = 0; i < scopeLogs.LogRecords.Count; i++)
                {
                    var rule = FirstMatch(resourceLogs.Resource, scopeLogs.Scope, scopeLogs.LogRecords[i]);
                    decisions[items++] = rule;
                    if (rule != Keep)
                    {
                        dropsByRule[rule]++;
                        dropped++;
                    }
                }
            }
        }

        return (items, dropped);
    }

    private (int Items, int Dropped) Decide(ExportMetricsServiceRequest request, int[] decisions, long[] dropsByRule)
    {
        int items = 0, dropped = 0;
        for (var r = 0; r < request.ResourceMetrics.Count; r++)
        {
            var resourceMetrics = request.ResourceMetrics[r];
            for (var s = 0; s < resourceMetrics.ScopeMetrics.Count; s++)
            {
                var scopeMetrics = resourceMetrics.ScopeMetrics[s];
                for (var m = 0; m < scopeMetrics.Metrics.Count; m++)
                {
                    var metric = scopeMetrics.Metrics[m];
                    var points = DataPointView.Count(metric);
                    for (var p = 0; p < points; p++)
                    {
                        var rule = FirstMatch(resourceMetrics.Resource, scopeMetrics.Scope, metric, DataPointView.At(metric, p));
                        decisions[items++] = rule;
                        if (rule != Keep)
                        {
                            dropsByRule[rule]++;
                            dropped++;
                        }
                    }
                }
            }
        }

        return (items, dropped);
    }
}
