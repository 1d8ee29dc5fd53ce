using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Routing;

/// <summary>
/// Sends each item to the route whose condition it matches (the first one, or every one), each
/// route being an output port, with a default port for the rest. A batch is split item by item,
/// keeping its resource and scope grouping; a batch that goes wholly to one port goes on as it is.
/// </summary>
[Operator("routing.content", Options = typeof(ContentRoutingOptions),
    Description = "Routes items to named ports by conditions, first match or every match, with a default port.",
    Example = """{ "routes": { "errors": "status.code == ERROR" }, "default": "rest" }""")]
public sealed class ContentRouterOperator : ProcessorOperator
{
    private readonly string[] _ports;
    private readonly RuleSet _rules;

    /// <summary>Creates the router.</summary>
    public ContentRouterOperator(ContentRoutingOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _ports = [.. options.Routes.Keys.Append(options.Default).OfType<string>().Distinct(StringComparer.Ordinal)];
        _rules = new RuleSet(options, _ports);
    }

    /// <summary>The routes' names and the default port.</summary>
    public override IReadOnlyList<string> OutputPorts => _ports;

    /// <inheritdoc />
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var usedWhole = false;
        return RuleRouting.RouteAsync(batch, _rules, _ports.Length, usable: null, (port, payload, whole, ct) =>
        {
            if (whole && !usedWhole)
            {
                usedWhole = true;
                return output.EmitAsync(_ports[port], batch, ct);
            }

            return output.EmitAsync(_ports[port], batch.Derive(payload), ct);
        }, output, cancellationToken);
    }
}
