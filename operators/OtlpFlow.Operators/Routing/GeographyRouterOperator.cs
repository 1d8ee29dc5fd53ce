using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Conditions;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Routing;

/// <summary>
/// Keeps data near where it came from: each item goes to a target in its resource's zone, else
/// in its region, else to the first available port of the fallback list. Among several targets of
/// the same zone or region, the one with fewest batches in flight wins. Ejected targets (failing
/// acknowledgements) are passed over.
/// </summary>
[Operator("routing.geography", Options = typeof(GeographyRoutingOptions),
    Description = "Routes items to a port in their zone or region (resource attributes), with an ordered fallback.",
    Example = """{ "targets": { "eu": { "region": "eu-west-1" }, "us": { "region": "us-east-1" } }, "fallback": ["eu", "us"] }""")]
public sealed class GeographyRouterOperator : ProcessorOperator
{
    private readonly GeographyRoutingOptions _options;
    private readonly string[] _ports;
    private readonly int[][] _byZone;
    private readonly int[][] _byRegion;
    private readonly Dictionary<string, int> _zoneIndex;
    private readonly Dictionary<string, int> _regionIndex;
    private readonly int[] _fallback;
    private readonly TargetSet _targets;

    /// <summary>Creates the router.</summary>
    public GeographyRouterOperator(GeographyRoutingOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _ports = [.. options.Targets.Keys];
        var places = options.Targets.Values.ToArray();
        (_zoneIndex, _byZone) = Group(places.Select(p => p.Zone).ToArray());
        (_regionIndex, _byRegion) = Group(places.Select(p => p.Region).ToArray());
        var index = _ports.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i, StringComparer.Ordinal);
        _fallback = options.Fallback.Count > 0 ? [.. options.Fallback.Select(p => index[p])] : [.. Enumerable.Range(0, _ports.Length)];
        _targets = new TargetSet(_ports, context.TimeProvider, options.Ejection, TimeSpan.FromSeconds(10));
    }

    /// <summary>The target ports.</summary>
    public override IReadOnlyList<string> OutputPorts => _ports;

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var count = BatchSplit.CountItems(batch.Payload);
        var decider = new Decider(this, Context.TimeProvider.GetTimestamp());
        var decisions = new int[count];
        BatchSplit.Decide(batch.Payload, decider, decisions);
        var counts = new int[_ports.Length];
        foreach (var d in decisions)
        {
            counts[d]++;
        }

        for (var port = 0; port < _ports.Length; port++)
        {
            if (counts[port] > 0 || (count == 0 && port == _fallback[0]))
            {
                var payload = counts[port] == count ? batch.Payload : BatchSplit.Select(batch.Payload, decisions, port);
                await _targets.EmitAsync(output, port, batch, payload, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static (Dictionary<string, int> Index, int[][] Groups) Group(string?[] places)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var groups = new List<List<int>>();
        for (var t = 0; t < places.Length; t++)
        {
            if (places[t] is not { Length: > 0 } place)
            {
                continue;
            }

            if (!index.TryGetValue(place, out var g))
            {
                index[place] = g = groups.Count;
                groups.Add([]);
            }

            groups[g].Add(t);
        }

        return (index, groups.Select(g => g.ToArray()).ToArray());
    }

    private static string? Attribute(RepeatedField<KeyValue>? attributes, string key)
    {
        if (attributes is null)
        {
            return null;
        }

        for (var n = 0; n < attributes.Count; n++)
        {
            if (string.Equals(attributes[n].Key, key, StringComparison.Ordinal))
            {
                return attributes[n].Value?.StringValue;
            }
        }

        return null;
    }

    /// <summary>Decides per resource; items of one resource all go to the same port, as their place is the resource's.</summary>
    private sealed class Decider(GeographyRouterOperator router, long now) : ItemDecider
    {
        private Resource? _lastResource;
        private int _lastDecision;

        public override int Decide(Resource? resource, InstrumentationScope? scope, Span span) => ForResource(resource);

        public override int Decide(Resource? resource, InstrumentationScope? scope, LogRecord log) => ForResource(resource);

        public override int Decide(Resource? resource, InstrumentationScope? scope, Metric metric, DataPointView point) => ForResource(resource);

        private int ForResource(Resource? resource)
        {
            if (_lastResource is not null && ReferenceEquals(resource, _lastResource))
            {
                return _lastDecision;
            }

            _lastResource = resource;
            _lastDecision = Choose(resource);
            return _lastDecision;
        }

        private int Choose(Resource? resource)
        {
            var options = router._options;
            if (Attribute(resource?.Attributes, options.ZoneKey) is { } zone && router._zoneIndex.TryGetValue(zone, out var z)
                && Best(router._byZone[z]) is >= 0 and var inZone)
            {
                return inZone;
            }

            if (Attribute(resource?.Attributes, options.RegionKey) is { } region && router._regionIndex.TryGetValue(region, out var r)
                && Best(router._byRegion[r]) is >= 0 and var inRegion)
            {
                return inRegion;
            }

            foreach (var t in router._fallback)
            {
                if (router._targets.IsAvailable(t, now))
                {
                    return t;
                }
            }

            return router._fallback[0];
        }

        private int Best(int[] candidates)
        {
            var best = -1;
            foreach (var t in candidates)
            {
                if (router._targets.IsAvailable(t, now) && (best < 0 || router._targets.Targets[t].InFlight < router._targets.Targets[best].InFlight))
                {
                    best = t;
                }
            }

            return best;
        }
    }
}
