using OtlpFlow.Operators.Coordination.Load;
using OtlpFlow.Operators.Otlp.LoadBalancing;

namespace OtlpFlow.Hosting.Reload;

/// <summary>
/// The cluster's published load as <c>loadbalancing</c>'s <see cref="IMemberLoadSource"/>. It lives
/// here, where both projects are known, because the coordination layer does not depend on the OTLP
/// operators.
/// </summary>
internal sealed class ClusterLoadSource(ClusterLoad load) : IMemberLoadSource
{
    public bool TryGetLoad(string member, out double score) => load.TryGetScore(member, out score);
}
