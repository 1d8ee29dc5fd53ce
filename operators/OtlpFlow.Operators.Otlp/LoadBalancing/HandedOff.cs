namespace OtlpFlow.Operators.Otlp.LoadBalancing;

/// <summary>
/// A batch attachment: its request came from another member's <c>loadbalancing.handoff</c> (the
/// request header <see cref="Header"/>), so its spans stay on this member.
/// </summary>
internal sealed class HandedOff
{
    /// <summary>The request header (gRPC metadata key) that marks a handed-over request.</summary>
    public const string Header = "otlpflow-handoff";

    /// <summary>
    /// The request header an instance sending data on (<c>loadbalancing</c>, <c>loadbalancing.handoff</c>)
    /// sets to how long ago, in milliseconds, the tier first received it; the receiver attaches it as
    /// <see cref="Sampling.ArrivedEarlier"/>.
    /// </summary>
    public const string AgeHeader = "otlpflow-age-ms";

    public static readonly HandedOff Instance = new();

    private HandedOff()
    {
    }
}
