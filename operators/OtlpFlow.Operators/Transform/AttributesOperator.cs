using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OtlpFlow.Engine.Conditions;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Transform;

/// <summary>
/// Inserts, updates, upserts, deletes or hashes attributes of spans, log records, data points,
/// resources or scopes, action by action in the order given. It changes the batch in place
/// (<see cref="MutatesData"/>), so the engine hands it its own copy where data fans out, and emits
/// the same batch.
/// </summary>
[Operator("attributes", Options = typeof(AttributesOptions), Description = "Inserts, updates, upserts, deletes or hashes attributes of items, resources or scopes.",
    Example = """{ "actions": [ { "action": "upsert", "key": "deployment.environment", "value": "prod", "on": "resource" }, { "action": "hash", "key": "user.email" } ] }""")]
public sealed class AttributesOperator : ProcessorOperator
{
    private readonly AttributeActionOptions[] _actions;

    /// <summary>Creates the operator.</summary>
    /// <exception cref="ArgumentException">An action is not valid (see <see cref="AttributesOptions.Validate"/>).</exception>
    public AttributesOperator(AttributesOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Actions);
        for (var n = 0; n < options.Actions.Count; n++)
        {
            if (AttributesOptions.Problem(options.Actions[n]) is { } problem)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"actions[{n}].{problem.Key} {problem.Message}"), nameof(options));
            }
        }

        // A snapshot, so that later changes to the options object cannot change a running operator.
        _actions = [.. options.Actions.Select(a => new AttributeActionOptions { Action = a.Action, Key = a.Key, Value = a.Value, On = a.On, When = a.When })];
    }

    /// <inheritdoc />
    public override bool MutatesData => true;

    /// <inheritdoc />
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        switch (batch.Payload)
        {
            case ExportTraceServiceRequest traces:
                Apply(traces);
                break;
            case ExportLogsServiceRequest logs:
                Apply(logs);
                break;
            case ExportMetricsServiceRequest metrics:
                Apply(metrics);
                break;
        }

        return output.EmitAsync(batch, cancellationToken);
    }

    // Each action runs over a whole resource before the next one starts, so that "in order" holds
    // across targets: an item action placed after a resource action sees the changed resource.
    private void Apply(ExportTraceServiceRequest request)
    {
        foreach (var resourceSpans in request.ResourceSpans)
        {
            foreach (var action in _actions)
            {
                switch (action.On)
                {
                    case AttributeTarget.Resource:
                        ApplyToResource(action, resourceSpans.Resource, r => resourceSpans.Resource = r);
                        break;
                    case AttributeTarget.Scope:
                        foreach (var scopeSpans in resourceSpans.ScopeSpans)
                        {
                            ApplyToScope(action, resourceSpans.Resource, scopeSpans.Scope, s => scopeSpans.Scope = s);
                        }

                        break;
                    default:
                        foreach (var scopeSpans in resourceSpans.ScopeSpans)
                        {
                            foreach (var span in scopeSpans.Spans)
                            {
                                if (action.When?.Matches(resourceSpans.Resource, scopeSpans.Scope, span) != false)
                                {
                                    Change(action, span.Attributes);
                                }
                            }
                        }

                        break;
                }
            }
        }
    }

    private void Apply(ExportLogsServiceRequest request)
    {
        foreach (var resourceLogs in request.ResourceLogs)
        {
            foreach (var action in _actions)
            {
                switch (action.On)
                {
                    case AttributeTarget.Resource:
                        ApplyToResource(action, resourceLogs.Resource, r => resourceLogs.Resource = r);
                        break;
                    case AttributeTarget.Scope:
                        foreach (var scopeLogs in resourceLogs.ScopeLogs)
                        {
                            ApplyToScope(action, resourceLogs.Resource, scopeLogs.Scope, s => scopeLogs.Scope = s);
                        }

                        break;
                    default:
                        foreach (var scopeLogs in resourceLogs.ScopeLogs)
                        {
                            foreach (var log in scopeLogs.LogRecords)
                            {
                                if (action.When?.Matches(resourceLogs.Resource, scopeLogs.Scope, log) != false)
                                {
                                    Change(action, log.Attributes);
                                }
                            }
                        }

                        break;
                }
            }
        }
    }

    private void Apply(ExportMetricsServiceRequest request)
    {
        foreach (var resourceMetrics in request.ResourceMetrics)
        {
            foreach (var action in _actions)
            {
                switch (action.On)
                {
                    case AttributeTarget.Resource:
                        ApplyToResource(action, resourceMetrics.Resource, r => resourceMetrics.Resource = r);
                        break;
                    case AttributeTarget.Scope:
                        foreach (var scopeMetrics in resourceMetrics.ScopeMetrics)
                        {
                            ApplyToScope(action, resourceMetrics.Resource, scopeMetrics.Scope, s => scopeMetrics.Scope = s);
                        }

                        break;
                    default:
                        foreach (var scopeMetrics in resourceMetrics.ScopeMetrics)
                        {
                            foreach (var metric in scopeMetrics.Metrics)
                            {
                                var points = DataPointView.Count(metric);
                                for (var p = 0; p < points; p++)
                                {
                                    var point = DataPointView.At(metric, p);
                                    if (action.When?.Matches(resourceMetrics.Resource, scopeMetrics.Scope, metric, point) != false)
                                    {
                                        Change(action, point.Attributes);
                                    }
                                }
                            }
                        }

                        break;
                }
            }
        }
    }

    private static void ApplyToResource(AttributeActionOptions action, Resource? resource, Action<Resource> attach)
    {
        if (action.When?.Matches(resource) == false)
        {
            return;
        }

        if (resource is null)
        {
            if (!Adds(action))
            {
                return;
            }

            resource = new Resource();
            attach(resource);
        }

        Change(action, resource.Attributes);
    }

    private static void ApplyToScope(AttributeActionOptions action, Resource? resource, InstrumentationScope? scope, Action<InstrumentationScope> attach)
    {
        if (action.When?.Matches(resource, scope) == false)
        {
            return;
        }

        if (scope is null)
        {
            if (!Adds(action))
            {
                return;
            }

            scope = new InstrumentationScope();
            attach(scope);
        }

        Change(action, scope.Attributes);
    }

    private static bool Adds(AttributeActionOptions action) => action.Action is AttributeAction.Insert or AttributeAction.Upsert;

    private static void Change(AttributeActionOptions action, RepeatedField<KeyValue> attributes)
    {
        var index = IndexOf(attributes, action.Key);
        switch (action.Action)
        {
            case AttributeAction.Insert when index < 0:
            case AttributeAction.Upsert when index < 0:
                attributes.Add(new KeyValue { Key = action.Key, Value = ToAnyValue(action.Value!) });
                break;
            case AttributeAction.Update when index >= 0:
            case AttributeAction.Upsert:
                attributes[index].Value = ToAnyValue(action.Value!);
                break;
            case AttributeAction.Delete:
                // Keys should be unique, but a sender may repeat one: delete means none is left.
                for (var n = attributes.Count - 1; n >= 0; n--)
                {
                    if (string.Equals(attributes[n].Key, action.Key, StringComparison.Ordinal))
                    {
                        attributes.RemoveAt(n);
                    }
                }

                break;
            case AttributeAction.Hash when index >= 0:
                if (Hash(attributes[index].Value) is { } hashed)
                {
                    attributes[index].Value = new AnyValue { StringValue = hashed };
                }

                break;
        }
    }

    private static int IndexOf(RepeatedField<KeyValue> attributes, string key)
    {
        for (var n = 0; n < attributes.Count; n++)
        {
            if (string.Equals(attributes[n].Key, key, StringComparison.Ordinal))
            {
                return n;
            }
        }

        return -1;
    }

    // A new AnyValue per write: the payload must not share one value object between attributes,
    // or a later change to one would change the others.
    private static AnyValue ToAnyValue(object value) => value switch
    {
        string text => new AnyValue { StringValue = text },
        bool flag => new AnyValue { BoolValue = flag },
        long integer => new AnyValue { IntValue = integer },
        int integer => new AnyValue { IntValue = integer },
        float number => new AnyValue { DoubleValue = number },
        _ => new AnyValue { DoubleValue = Convert.ToDouble(value, CultureInfo.InvariantCulture) },
    };

    /// <summary>
    /// The lowercase hex SHA-256 of a value's text (UTF-8), or of its bytes for a bytes value; null
    /// for values with no single text (arrays, key-value lists, unset), which are left as they are.
    /// </summary>
    internal static string? Hash(AnyValue? value)
    {
        if (value is null)
        {
            return null;
        }

        var bytes = value.ValueCase switch
        {
            AnyValue.ValueOneofCase.StringValue => Encoding.UTF8.GetBytes(value.StringValue),
            AnyValue.ValueOneofCase.IntValue => Encoding.UTF8.GetBytes(value.IntValue.ToString(CultureInfo.InvariantCulture)),
            AnyValue.ValueOneofCase.DoubleValue => Encoding.UTF8.GetBytes(value.DoubleValue.ToString("R", CultureInfo.InvariantCulture)),
            AnyValue.ValueOneofCase.BoolValue => Encoding.UTF8.GetBytes(value.BoolValue ? "true" : "false"),
            AnyValue.ValueOneofCase.BytesValue => value.BytesValue.ToByteArray(),
            _ => null,
        };
        return bytes is null ? null : Convert.ToHexStringLower(SHA256.HashData(bytes));
    }
}
