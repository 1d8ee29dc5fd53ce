namespace OtlpFlow.Operators.Otlp.LoadBalancing;

/// <summary>
/// A batch attachment: its request came from another member's <c>loadbalancing.handoff</c> (the
/// request header <see cref="Header"/>), so its spans stay on this member.
/// </summary>
internal sealed class HandedOff
{
    /// <summary>The request header (gRPC metadata key) that marks a handed-over request.</summary>
    public const string Header = "otlpflow-handoff";

    public static readonly HandedOff Instance = new();

    private HandedOff()
    {
    }
}
