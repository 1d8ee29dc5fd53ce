namespace OtlpFlow.Operators.Otlp.LoadBalancing;

/// <summary>How <c>loadbalancing</c> checks its members actively.</summary>
public enum HealthCheckType
{
    /// <summary>No active checks (passive ejection still applies).</summary>
    None,

    /// <summary>The gRPC health protocol (<c>grpc.health.v1.Health/Check</c>) on the member's endpoint.</summary>
    Grpc,

    /// <summary>An HTTP GET of <c>path</c> on the member's endpoint.</summary>
    Http,
}
