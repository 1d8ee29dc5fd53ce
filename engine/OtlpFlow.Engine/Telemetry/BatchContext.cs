namespace OtlpFlow.Engine.Telemetry;

/// <summary>
/// What travels with a batch besides its data: who sent it and when it arrived.
/// Immutable; derived batches share their parent's context.
/// </summary>
/// <param name="Tenant">The tenant the data belongs to, when a receiver or operator assigned one.</param>
/// <param name="Metadata">Client metadata (for example selected request headers); never null.</param>
/// <param name="ReceivedAt">When the data entered the pipeline.</param>
public sealed record BatchContext(string? Tenant, IReadOnlyDictionary<string, string> Metadata, DateTimeOffset ReceivedAt)
{
    private static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>();

    /// <summary>A context with no tenant and no metadata, received at <paramref name="receivedAt"/>.</summary>
    public static BatchContext At(DateTimeOffset receivedAt) => new(null, NoMetadata, receivedAt);

    /// <summary>An empty context stamped with the Unix epoch; for batches made outside a pipeline.</summary>
    public static BatchContext Empty { get; } = At(DateTimeOffset.UnixEpoch);
}
