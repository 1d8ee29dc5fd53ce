using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Conditions;

namespace OtlpFlow.Operators.Routing;

/// <summary>
/// Decides items by the owner of their key among a membership's members: the decision is the
/// owner's index in <see cref="RendezvousHash.Members"/>. With a load bound, an owner that has
/// reached its cap (items in flight plus items given in this batch) passes the item to the next
/// choice. One instance per batch.
/// </summary>
internal sealed class PartitionDecider : ItemDecider
{
    private readonly PartitionKey _key;
    private readonly RendezvousHash _hash;
    private readonly long[]? _load;
    private readonly long _cap;
    private readonly Func<int, bool>? _hasRoom;

    /// <summary>Creates a decider without a load bound.</summary>
    public PartitionDecider(PartitionKey key, RendezvousHash hash)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(hash);
        _key = key;
        _hash = hash;
    }

    /// <summary>
    /// Creates a decider with a load bound: member i already holds <paramref name="inFlight"/>[i]
    /// items, and none may go past <paramref name="factor"/> times the average once
    /// <paramref name="batchItems"/> more are given out.
    /// </summary>
    public PartitionDecider(PartitionKey key, RendezvousHash hash, IReadOnlyList<long> inFlight, int batchItems, double factor)
        : this(key, hash)
    {
        ArgumentNullException.ThrowIfNull(inFlight);
        _load = [.. inFlight];
        _cap = (long)Math.Ceiling(factor * (_load.Sum() + batchItems) / _load.Length);
        _hasRoom = m => _load[m] < _cap;
    }

    /// <inheritdoc />
    public override int Decide(Resource? resource, InstrumentationScope? scope, Span span) => Owner(_key.Hash(resource, scope, span));

    /// <inheritdoc />
    public override int Decide(Resource? resource, InstrumentationScope? scope, LogRecord log) => Owner(_key.Hash(resource, scope, log));

    /// <inheritdoc />
    public override int Decide(Resource? resource, InstrumentationScope? scope, Metric metric, DataPointView point) => Owner(_key.Hash(resource, scope, point));

    private int Owner(ulong hash)
    {
        if (_load is null)
        {
            return _hash.OwnerOf(hash);
        }

        var owner = _hash.OwnerOf(hash, _hasRoom!);
        _load[owner]++;
        return owner;
    }
}
