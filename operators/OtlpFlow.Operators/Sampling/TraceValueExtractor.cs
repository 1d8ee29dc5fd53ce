using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// The attribute keys the configured tail policies read, found in the policy tree once, and the
/// code that copies their values (and tracestates, when a <c>traceState</c> policy exists) from
/// arriving spans and resources into a held trace. Nothing else of a span is kept for the policies.
/// </summary>
internal sealed class TraceValueExtractor
{
    /// <summary>The key index of tracestate values.</summary>
    public const int TraceStateKey = -1;

    private readonly string[] _keys;

    public TraceValueExtractor(IEnumerable<TailPolicyOptions> policies)
    {
        var keys = new List<string>();
        Collect(policies, keys);
        _keys = [.. keys];
    }

    /// <summary>True when some policy reads attribute values.</summary>
    public bool ReadsAttributes => _keys.Length > 0;

    /// <summary>True when a <c>traceState</c> policy exists.</summary>
    public bool ReadsTraceState { get; private set; }

    /// <summary>The index of an attribute key some policy reads.</summary>
    public int KeyIndex(string key) => Array.IndexOf(_keys, key);

    /// <summary>The values of the read keys on a resource, or null when it has none.</summary>
    public TraceValue[]? FromResource(Resource? resource)
    {
        if (resource is null || _keys.Length == 0)
        {
            return null;
        }

        List<TraceValue>? values = null;
        var attributes = resource.Attributes;
        for (var i = 0; i < attributes.Count; i++)
        {
            if (TryRead(attributes[i], out var value))
            {
                (values ??= []).Add(value);
            }
        }

        return values?.ToArray();
    }

    /// <summary>Adds the values a span gives its trace: read attribute keys and, when needed, its tracestate.</summary>
    public void AddSpanValues(HeldTrace trace, Span span)
    {
        if (_keys.Length > 0)
        {
            AddAttributes(trace, span.Attributes);
        }

        if (ReadsTraceState && span.TraceState.Length > 0)
        {
            trace.AddValue(TraceValue.OfString(TraceStateKey, span.TraceState));
        }
    }

    private void AddAttributes(HeldTrace trace, RepeatedField<KeyValue> attributes)
    {
        for (var i = 0; i < attributes.Count; i++)
        {
            if (TryRead(attributes[i], out var value))
            {
                trace.AddValue(value);
            }
        }
    }

    private bool TryRead(KeyValue attribute, out TraceValue value)
    {
        value = default;
        var key = Array.IndexOf(_keys, attribute.Key);
        if (key < 0 || attribute.Value is not { } v)
        {
            return false;
        }

        switch (v.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue:
                value = TraceValue.OfString(key, v.StringValue);
                return true;
            case AnyValue.ValueOneofCase.IntValue:
                value = TraceValue.OfInt(key, v.IntValue);
                return true;
            case AnyValue.ValueOneofCase.DoubleValue:
                value = TraceValue.OfDouble(key, v.DoubleValue);
                return true;
            case AnyValue.ValueOneofCase.BoolValue:
                value = TraceValue.OfBool(key, v.BoolValue);
                return true;
            default:
                // No policy matches other kinds.
                return false;
        }
    }

    private void Collect(IEnumerable<TailPolicyOptions> policies, List<string> keys)
    {
        foreach (var policy in policies)
        {
            switch (policy.Type)
            {
                case TailPolicyType.NumericAttribute or TailPolicyType.StringAttribute or TailPolicyType.BooleanAttribute:
                    if (policy.Key is { } key && !keys.Contains(key))
                    {
                        keys.Add(key);
                    }

                    break;
                case TailPolicyType.TraceState:
                    ReadsTraceState = true;
                    break;
            }

            Collect(policy.Policies, keys);
        }
    }
}
