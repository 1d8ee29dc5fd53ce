namespace OtlpFlow.Hosting.Monitoring;

/// <summary>One edge of a <see cref="PipelineTopology"/>: data of <paramref name="From"/>'s <paramref name="Port"/> flows to <paramref name="To"/>.</summary>
/// <param name="From">The upstream operator.</param>
/// <param name="To">The downstream operator.</param>
/// <param name="Port">The upstream port (<c>out</c> unless named).</param>
public sealed record TopologyEdge(string From, string To, string Port);
