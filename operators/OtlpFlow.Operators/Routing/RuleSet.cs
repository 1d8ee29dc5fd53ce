using OtlpFlow.Engine.Conditions;

namespace OtlpFlow.Operators.Routing;

/// <summary>Routing rules resolved against a router's ports: each route's condition and port index.</summary>
internal sealed class RuleSet
{
    public RuleSet(ContentRoutingOptions options, IReadOnlyList<string> ports)
    {
        var index = ports.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i, StringComparer.Ordinal);
        Conditions = [.. options.Routes.Values];
        RoutePorts = options.Routes.Keys.Select(k => index.TryGetValue(k, out var i)
            ? i
            : throw new ArgumentException($"route '{k}' names no port of this router (ports: {string.Join(", ", ports)})")).ToArray();
        DefaultPort = options.Default is null ? -1 : index.TryGetValue(options.Default, out var d)
            ? d
            : throw new ArgumentException($"'default' names '{options.Default}', which is no port of this router (ports: {string.Join(", ", ports)})");
        MatchOnce = options.MatchOnce;
    }

    public Condition[] Conditions { get; }

    public int[] RoutePorts { get; }

    /// <summary>The default port's index, or -1.</summary>
    public int DefaultPort { get; }

    public bool MatchOnce { get; }
}
