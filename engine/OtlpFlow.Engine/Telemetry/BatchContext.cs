namespace OtlpFlow.Engine.Telemetry;

/// <summary>
/// What travels with a batch besides its data: who sent it, when it arrived, and typed attachments.
/// Immutable; derived batches share their parent's context.
/// </summary>
/// <remarks>
/// Attachments are objects an operator hangs on a batch for a later operator (an Arrow encoding
/// for <c>arrow.decode</c>, say), one per type. They are part of the context, so every derivation
/// of a batch (<see cref="TelemetryBatch.Derive(Google.Protobuf.IMessage)"/>, <see cref="TelemetryBatch.Fork"/>,
/// <see cref="TelemetryBatch.WithContext"/>) and every <c>with</c> expression on the context keeps
/// them; only a context built anew with the constructor starts without. They live in memory only:
/// a persistent queue does not store them.
/// </remarks>
/// <param name="Tenant">The tenant the data belongs to, when a receiver or operator assigned one.</param>
/// <param name="Metadata">Client metadata (for example selected request headers); never null.</param>
/// <param name="ReceivedAt">When the data entered the pipeline.</param>
public sealed record BatchContext(string? Tenant, IReadOnlyDictionary<string, string> Metadata, DateTimeOffset ReceivedAt)
{
    private static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>();

    // Few (usually none or one), so a small array searched in order beats any map. Never mutated:
    // With and Without make a new one, and a `with` expression copies the reference.
    private KeyValuePair<Type, object>[] _attachments = [];

    /// <summary>A context with no tenant and no metadata, received at <paramref name="receivedAt"/>.</summary>
    public static BatchContext At(DateTimeOffset receivedAt) => new(null, NoMetadata, receivedAt);

    /// <summary>An empty context stamped with the Unix epoch; for batches made outside a pipeline.</summary>
    public static BatchContext Empty { get; } = At(DateTimeOffset.UnixEpoch);

    /// <summary>How many attachments the context holds.</summary>
    public int AttachmentCount => _attachments.Length;

    /// <summary>The attachment of type <typeparamref name="T"/> (attached as that type), or null.</summary>
    /// <typeparam name="T">The type it was attached as.</typeparam>
    public T? Get<T>()
        where T : class
    {
        foreach (var (type, value) in _attachments)
        {
            if (type == typeof(T))
            {
                return (T)value;
            }
        }

        return null;
    }

    /// <summary>This context with <paramref name="value"/> attached as <typeparamref name="T"/>, replacing any earlier one of that type.</summary>
    /// <typeparam name="T">The type it is attached and found as.</typeparam>
    /// <param name="value">The attachment; treat it as immutable once attached, as batches are.</param>
    public BatchContext With<T>(T value)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(value);
        var kept = Array.FindAll(_attachments, a => a.Key != typeof(T));
        return this with { _attachments = [.. kept, new(typeof(T), value)] };
    }

    /// <summary>This context without an attachment of type <typeparamref name="T"/> (itself when it has none).</summary>
    /// <typeparam name="T">The type it was attached as.</typeparam>
    public BatchContext Without<T>()
        where T : class
    {
        var kept = Array.FindAll(_attachments, a => a.Key != typeof(T));
        return kept.Length == _attachments.Length ? this : this with { _attachments = kept };
    }
}
