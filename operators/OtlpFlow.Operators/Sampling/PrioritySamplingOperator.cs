using System.Buffers;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Conditions;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// Rule-based sampling: per span, the <c>sampling.priority</c> attribute first (when honoured), then
/// the rules in order; the first that matches keeps, drops, keeps a ratio (consistently, writing
/// <c>th</c>) or sends the span to its priority class's port. Spans no rule matches follow
/// <c>default</c>. Counted by rule name.
/// </summary>
/// <remarks>
/// Rules are evaluated per span. A ratio rule keeps whole traces when all spans of a trace match
/// it (the decision depends only on the trace's randomness); to decide on whole traces by their
/// content, use <c>sampling.tail</c>. Rewrites <c>tracestate</c> of spans kept by a ratio rule in
/// place, hence <see cref="MutatesData"/>.
/// </remarks>
[Operator("sampling.priority", Options = typeof(PrioritySamplingOptions), Description = "Ordered rules (condition -> keep, drop, ratio or priority class), honouring sampling.priority.",
    Example = """{ "rules": [ { "name": "errors", "when": "status.code == ERROR" }, { "name": "rest", "when": "true", "action": "ratio", "ratio": 0.1 } ] }""")]
public sealed class PrioritySamplingOperator : ProcessorOperator
{
    private const string AttributeKey = "sampling.priority";
    private const byte Out = 0;
    private const byte AttributeDrop = 1;
    private const byte DefaultDrop = 2;

    private readonly PrioritySamplingOptions _options;
    private readonly Rule[] _rules;
    private readonly List<RoutedOutput.Destination> _destinations;
    private readonly IReadOnlyList<string> _ports;

    /// <summary>Creates the operator.</summary>
    public PrioritySamplingOperator(PrioritySamplingOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _destinations =
        [
            new(IOperatorOutput.DefaultPort, false),
            new(AttributeKey, true),
            new("default", true),
        ];
        _rules = new Rule[options.Rules.Count];
        for (var i = 0; i < options.Rules.Count; i++)
        {
            var rule = options.Rules[i];
            var name = string.IsNullOrEmpty(rule.Name) ? $"rule-{i}" : rule.Name;
            byte target = rule.Action switch
            {
                PriorityAction.Keep => Out,
                PriorityAction.Priority => Destination(rule.Class!, false),
                _ => Destination(name, true),
            };
            _rules[i] = new Rule(
                name,
                rule.When ?? throw new ArgumentException($"Rule '{name}' has no condition.", nameof(options)),
                rule.Action,
                ConsistentProbability.ThresholdFromProbability(rule.Ratio, options.Precision),
                target);
        }

        _ports = [IOperatorOutput.DefaultPort, .. options.Rules.Where(r => r.Action == PriorityAction.Priority).Select(r => r.Class!).Distinct(StringComparer.Ordinal)];
        Counters = new SamplingCounters(context.Id, context.Meter);
    }

    /// <summary>Kept and dropped spans by rule name (<c>sampling.priority</c> for the attribute, <c>default</c> for no match).</summary>
    public SamplingCounters Counters { get; }

    /// <summary><c>out</c> and one port per priority class.</summary>
    public override IReadOnlyList<string> OutputPorts => _ports;

    /// <inheritdoc />
    public override bool MutatesData => _rules.Any(r => r.Action == PriorityAction.Ratio);

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        if (batch.Traces is not { } request)
        {
            await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var table = SpanTable.From(request);
        var decisions = ArrayPool<byte>.Shared.Rent(Math.Max(1, table.Count));
        try
        {
            var counts = new long[_destinations.Count];
            for (var i = 0; i < table.Count; i++)
            {
                var (destination, keptReason) = Decide(table.Resources[i].Resource, table.Scopes[i].Scope, table.Spans[i]);
                decisions[i] = destination;
                counts[destination]++;
                if (keptReason is not null)
                {
                    Counters.CountKept(1, keptReason);
                }
            }

            await RoutedOutput.SendAsync(batch, request, decisions, counts, _destinations, output, Counters, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(decisions);
        }
    }

    /// <summary>The destination of one span, and the reason it is kept under (null when dropped).</summary>
    private (byte Destination, string? KeptReason) Decide(OpenTelemetry.Proto.Resource.V1.Resource? resource, InstrumentationScope? scope, Span span)
    {
        if (_options.HonorAttribute && PriorityAttribute(span) is { } priority)
        {
            return priority > 0 ? (Out, AttributeKey) : (AttributeDrop, null);
        }

        foreach (var rule in _rules)
        {
            if (!rule.When.Matches(resource, scope, span))
            {
                continue;
            }

            switch (rule.Action)
            {
                case PriorityAction.Drop:
                    return (rule.Target, null);
                case PriorityAction.Ratio:
                    var state = OtelTraceState.Read(span.TraceState);
                    var r = state.HasRandomness ? state.Randomness : ConsistentProbability.RandomnessFromTraceId(span.TraceId);
                    var upstream = state.ThresholdValid && r >= state.Threshold ? state.Threshold : 0;
                    var threshold = Math.Max(upstream, rule.Threshold);
                    if (!ConsistentProbability.Keeps(r, threshold))
                    {
                        return (rule.Target, null);
                    }

                    if (!(state.ThresholdValid && state.Threshold == threshold))
                    {
                        span.TraceState = OtelTraceState.WithThreshold(span.TraceState, threshold);
                    }

                    return (Out, rule.Name);
                default:
                    return (rule.Target, rule.Name);
            }
        }

        return _options.Default == PriorityAction.Drop ? (DefaultDrop, null) : (Out, "default");
    }

    private static long? PriorityAttribute(Span span)
    {
        var attributes = span.Attributes;
        for (var i = 0; i < attributes.Count; i++)
        {
            if (attributes[i].Key == AttributeKey)
            {
                var value = attributes[i].Value;
                return value?.ValueCase switch
                {
                    AnyValue.ValueOneofCase.IntValue => value.IntValue,
                    AnyValue.ValueOneofCase.DoubleValue => (long)value.DoubleValue,
                    AnyValue.ValueOneofCase.StringValue when long.TryParse(value.StringValue, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var parsed) => parsed,
                    _ => null,
                };
            }
        }

        return null;
    }

    private byte Destination(string name, bool isDrop)
    {
        var index = _destinations.FindIndex(d => d.Name == name && d.IsDrop == isDrop);
        if (index < 0)
        {
            index = _destinations.Count;
            _destinations.Add(new RoutedOutput.Destination(name, isDrop));
        }

        return (byte)index;
    }

    private sealed record Rule(string Name, Condition When, PriorityAction Action, ulong Threshold, byte Target);
}
