using System.Globalization;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mvccpb;
using V3Electionpb;

namespace OtlpFlow.Operators.Coordination.Etcd;

/// <summary>
/// One instance's seat in the cluster, on etcd: it registers under a lease that it keeps alive
/// (membership: <c>{prefix}/members/{id}</c>), campaigns in the election <c>{prefix}/leader</c>
/// with etcd's election API, and watches keys. When the instance dies its lease expires and both
/// its membership and, if it led, its leadership end within <see cref="EtcdOptions.LeaseTtl"/> (the
/// lease granted in etcd is shorter by <see cref="EtcdOptions.ExpiryMargin"/>, the time etcd takes to
/// end an expired lease). It talks to etcd over every listed endpoint, connecting to the first that
/// accepts.
/// </summary>
/// <remarks>
/// Every background loop survives etcd restarts: on an error it waits and starts over (a new lease
/// when the old one was lost, a fresh read before watching again), so a short etcd outage only
/// delays changes.
/// </remarks>
public sealed partial class EtcdCoordinator : IAsyncDisposable
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    private readonly EtcdOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly GrpcChannel _channel;
    private readonly KV.KVClient _kv;
    private readonly Lease.LeaseClient _lease;
    private readonly Watch.WatchClient _watch;
    private readonly Election.ElectionClient _election;
    private readonly CancellationTokenSource _stop = new();
    private readonly BehaviorSubject<string?> _leader = new(null);
    private readonly List<Task> _loops = [];
    private readonly long _requestedTtl;
    private long _leaseId;
    private long _grantedTtl;
    private long _keepAlives;
    private LeaderKey? _leadership;
    private int _disposed;
    private int _seat; // SeatNone, SeatMember or SeatLeaving
    private int _seatPending;
    private readonly Lock _membersLock = new();
    private IReadOnlyDictionary<string, KeyValue> _members = new Dictionary<string, KeyValue>(StringComparer.Ordinal);
    private IReadOnlyCollection<string>? _draining;

    private const int SeatNone = 0;
    private const int SeatMember = 1;
    private const int SeatLeaving = 2;

    /// <summary>Creates the coordinator; nothing is contacted before <see cref="StartAsync(CancellationToken)"/>.</summary>
    public EtcdCoordinator(EtcdOptions options, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _requestedTtl = EtcdOptions.GrantedSeconds(options.LeaseTtl);
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        MemberId = options.MemberId ?? $"{Environment.MachineName}-{Environment.ProcessId}";
        Advertise = options.Advertise ?? MemberId;
        Prefix = options.Prefix.TrimEnd('/');
        if (options.MembersOf is null)
        {
            Membership.Self = Advertise;
        }
        _channel = EtcdChannel.Create(options.Endpoints);
        _kv = new KV.KVClient(_channel);
        _lease = new Lease.LeaseClient(_channel);
        _watch = new Watch.WatchClient(_channel);
        _election = new Election.ElectionClient(_channel);
    }

    /// <summary>This instance's member id.</summary>
    public string MemberId { get; }

    /// <summary>What this instance publishes as its member value.</summary>
    public string Advertise { get; }

    /// <summary>The cluster's key prefix, without a trailing slash.</summary>
    public string Prefix { get; }

    /// <summary>The members now and as they change (their advertised values): of this cluster, or of <see cref="EtcdOptions.MembersOf"/>.</summary>
    public ClusterMembership Membership { get; } = new();

    /// <summary>The leader's member id (null while there is none known), now and as it changes.</summary>
    public IObservable<string?> Leader => _leader.DistinctUntilChanged();

    /// <summary>The leader's member id as last seen; null while none is known.</summary>
    public string? CurrentLeader => _leader.Value;

    /// <summary>True while this instance holds the leadership.</summary>
    public bool IsLeader => Volatile.Read(ref _leadership) is not null && string.Equals(_leader.Value, MemberId, StringComparison.Ordinal);

    /// <summary>The lease this instance's keys live under (0 before start).</summary>
    public long LeaseId => Interlocked.Read(ref _leaseId);

    /// <summary>Keep-alives etcd has acknowledged so far: a test can stop the instance just after one (the worst case for failover).</summary>
    internal long KeepAlives => Interlocked.Read(ref _keepAlives);

    private string MembersPrefix => Prefix + "/members/";

    private string DrainingPrefix => Prefix + "/draining/";

    /// <summary>
    /// True from <see cref="AnnounceAsync"/> (or a start that announces) until <see cref="LeaveAsync"/>:
    /// this instance means to be a member. Its key is written by that call, or, when etcd could not be
    /// reached then, by the keep-alive loop once it can.
    /// </summary>
    public bool IsAnnounced => Volatile.Read(ref _seat) == SeatMember;

    private string ElectionName => Prefix + "/leader";

    /// <summary>
    /// Registers this instance, then keeps its lease alive, follows the membership and the leader,
    /// and campaigns for leadership in the background.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => StartAsync(announce: true, cancellationToken);

    /// <summary>
    /// Takes a lease, then keeps it alive, follows the membership and the leader, and campaigns for
    /// leadership in the background. With <paramref name="announce"/> false the instance is not yet
    /// a member that others send to: a host calls <see cref="AnnounceAsync"/> once its receivers
    /// accept.
    /// </summary>
    public async Task StartAsync(bool announce, CancellationToken cancellationToken = default)
    {
        if (announce)
        {
            Volatile.Write(ref _seat, SeatMember);
        }

        await RegisterAsync(cancellationToken).ConfigureAwait(false);
        var stop = _stop.Token;
        _loops.Add(Task.Run(() => KeepAliveLoopAsync(stop), CancellationToken.None));
        var watched = _options.MembersOf is { } other ? other.TrimEnd('/') + "/" : Prefix + "/";
        _loops.Add(Task.Run(() => WatchRangeLoopAsync(watched + "members/", OnMembers, stop), CancellationToken.None));
        _loops.Add(Task.Run(() => WatchRangeLoopAsync(watched + "draining/", OnDraining, stop), CancellationToken.None));
        _loops.Add(Task.Run(() => CampaignLoopAsync(stop), CancellationToken.None));
        _loops.Add(Task.Run(() => ObserveLeaderLoopAsync(stop), CancellationToken.None));
    }

    /// <summary>
    /// Makes this instance a member (<c>{prefix}/members/{id}</c>, under its lease): others start
    /// sending to it. Call it once the instance accepts data.
    /// </summary>
    public async Task AnnounceAsync(CancellationToken cancellationToken = default)
    {
        Volatile.Write(ref _seat, SeatMember);
        Volatile.Write(ref _seatPending, 1); // until the put succeeds, the keep-alive loop tries again
        await PutLeasedAsync(MembersPrefix + MemberId, Advertise, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _seatPending, 0);
        LogAnnounced(_logger, MemberId, Advertise);
    }

    /// <summary>
    /// The first step of a graceful stop: this instance stops being a member (others stop sending
    /// it new data) and is listed as draining (<c>{prefix}/draining/{id}</c>, under its lease), so
    /// that data of traces it holds is still handed to it until it stops. Its lease, leadership and
    /// watches go on until <see cref="DisposeAsync"/>.
    /// </summary>
    public async Task LeaveAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _seat, SeatLeaving) == SeatLeaving)
        {
            return;
        }

        await PutLeasedAsync(DrainingPrefix + MemberId, Advertise, cancellationToken).ConfigureAwait(false);
        await DeleteAsync(MembersPrefix + MemberId, cancellationToken).ConfigureAwait(false);
        LogLeaving(_logger, MemberId);
    }

    /// <summary>Writes a key (under no lease: it outlives the instance).</summary>
    public async Task PutAsync(string key, string value, CancellationToken cancellationToken = default) =>
        await _kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) }, cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Writes a key under this instance's lease: it disappears when the instance does.</summary>
    public async Task PutLeasedAsync(string key, string value, CancellationToken cancellationToken = default) =>
        await _kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value), Lease = LeaseId }, cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Reads a key; null when it does not exist.</summary>
    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var response = await _kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Kvs.Count == 0 ? null : response.Kvs[0].Value.ToStringUtf8();
    }

    /// <summary>Reads every key under <paramref name="prefix"/>.</summary>
    public async Task<IReadOnlyDictionary<string, string>> GetPrefixAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var key = ByteString.CopyFromUtf8(prefix);
        var response = await _kv.RangeAsync(new RangeRequest { Key = key, RangeEnd = RangeEnd(key) }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Kvs.ToDictionary(kv => kv.Key.ToStringUtf8(), kv => kv.Value.ToStringUtf8(), StringComparer.Ordinal);
    }

    /// <summary>Deletes a key.</summary>
    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        await _kv.DeleteRangeAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(key) }, cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The value of <paramref name="key"/> now (null when absent) and at every change, for as long as
    /// the subscription lasts. Survives etcd restarts.
    /// </summary>
    public IObservable<string?> WatchKey(string key) => Observable.Create<string?>((observer, cancellationToken) =>
        WatchLoopAsync(ByteString.CopyFromUtf8(key), ByteString.Empty, values =>
        {
            values.TryGetValue(key, out var value);
            observer.OnNext(value);
        }, cancellationToken));

    /// <summary>Every key and value under <paramref name="prefix"/> now and after every change.</summary>
    public IObservable<IReadOnlyDictionary<string, string>> WatchPrefix(string prefix) => Observable.Create<IReadOnlyDictionary<string, string>>((observer, cancellationToken) =>
        WatchPrefixLoopAsync(prefix, observer.OnNext, cancellationToken));

    /// <summary>
    /// Runs <paramref name="action"/> while holding the cluster-wide lock <paramref name="name"/>
    /// (etcd's lock API, under this instance's lease: a crashed holder frees it within the TTL).
    /// </summary>
    public async Task WithLockAsync(string name, Func<CancellationToken, Task> action, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(action);
        var locks = new V3Lockpb.Lock.LockClient(_channel);
        var held = await locks.LockAsync(new V3Lockpb.LockRequest { Name = ByteString.CopyFromUtf8(Prefix + "/locks/" + name), Lease = LeaseId }, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await action(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await locks.UnlockAsync(new V3Lockpb.UnlockRequest { Key = held.Key }, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops as a crash would: the keep-alive and every loop stop, nothing is revoked, so the
    /// membership and leadership end only when the lease expires. For tests and for a host that
    /// loses its footing.
    /// </summary>
    public async Task AbandonAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await WaitLoopsAsync().ConfigureAwait(false);
    }

    /// <summary>Leaves the cluster at once: resigns, revokes the lease (its keys go with it), and stops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        var wasRunning = !_stop.IsCancellationRequested;
        await _stop.CancelAsync().ConfigureAwait(false);
        await WaitLoopsAsync().ConfigureAwait(false);
        if (wasRunning && LeaseId != 0)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                if (Volatile.Read(ref _leadership) is { } leadership)
                {
                    await _election.ResignAsync(new ResignRequest { Leader = leadership }, cancellationToken: timeout.Token).ConfigureAwait(false);
                }

                await _lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = LeaseId }, cancellationToken: timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RpcException or OperationCanceledException)
            {
                LogLeaveFailed(_logger, MemberId, ex.Message);
            }
        }

        _channel.Dispose();
        _leader.OnCompleted();
        _leader.Dispose();
        Membership.Dispose();
        _stop.Dispose();
    }

    private async Task WaitLoopsAsync()
    {
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (Exception ex) when (_stop.IsCancellationRequested)
        {
            // The loops end by cancellation: gRPC reports a cancelled call as an RpcException
            // (Cancelled, or Unavailable when the stream was torn down mid-read).
            LogStopped(_logger, MemberId, ex.GetType().Name);
        }
    }

    private async Task RegisterAsync(CancellationToken cancellationToken)
    {
        var grant = await _lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = _requestedTtl }, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (grant.TTL > _requestedTtl)
        {
            // etcd raises a TTL below its floor (1.5 election timeouts) without an error.
            LogLeaseRaised(_logger, MemberId, _requestedTtl, grant.TTL, (grant.TTL + EtcdOptions.ExpiryMargin.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        }

        Interlocked.Exchange(ref _grantedTtl, Math.Max(1, grant.TTL));
        Interlocked.Exchange(ref _leaseId, grant.ID);
        switch (Volatile.Read(ref _seat))
        {
            case SeatMember:
                await PutLeasedAsync(MembersPrefix + MemberId, Advertise, cancellationToken).ConfigureAwait(false);
                break;
            case SeatLeaving:
                await PutLeasedAsync(DrainingPrefix + MemberId, Advertise, cancellationToken).ConfigureAwait(false);
                break;
        }

        LogRegistered(_logger, MemberId, Advertise, grant.ID, grant.TTL, Volatile.Read(ref _seat) switch { SeatMember => "a member", SeatLeaving => "draining", _ => "not yet announced" });
    }

    private async Task KeepAliveLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var call = _lease.LeaseKeepAlive(cancellationToken: stop);
                while (!stop.IsCancellationRequested)
                {
                    await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = LeaseId }, stop).ConfigureAwait(false);
                    if (!await call.ResponseStream.MoveNext(stop).ConfigureAwait(false))
                    {
                        break;
                    }

                    if (call.ResponseStream.Current.TTL <= 0)
                    {
                        // The lease expired (etcd was unreachable too long): join again under a new one.
                        LogLeaseLost(_logger, MemberId, LeaseId);
                        Volatile.Write(ref _leadership, null);
                        await RegisterAsync(stop).ConfigureAwait(false);
                        continue;
                    }

                    Interlocked.Increment(ref _keepAlives);
                    if (Volatile.Read(ref _seatPending) == 1 && Volatile.Read(ref _seat) == SeatMember)
                    {
                        await PutLeasedAsync(MembersPrefix + MemberId, Advertise, stop).ConfigureAwait(false);
                        Volatile.Write(ref _seatPending, 0);
                        LogAnnounced(_logger, MemberId, Advertise);
                    }

                    await Task.Delay(TimeSpan.FromSeconds(Interlocked.Read(ref _grantedTtl) / 3d), _time, stop).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is RpcException or IOException or HttpRequestException && !stop.IsCancellationRequested)
            {
                LogLoopFailed(_logger, MemberId, "keep-alive", ex.Message);
                await Task.Delay(RetryDelay, _time, stop).ConfigureAwait(false);
            }
        }
    }

    private async Task CampaignLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var lease = LeaseId;
                if (Volatile.Read(ref _leadership) is { } held && held.Lease == lease)
                {
                    // Leading under the current lease; a lost lease clears the leadership.
                    await Task.Delay(RetryDelay, _time, stop).ConfigureAwait(false);
                    continue;
                }

                // Blocks until this instance is the leader (etcd's election: the oldest candidate key wins).
                var response = await _election.CampaignAsync(
                    new CampaignRequest { Name = ByteString.CopyFromUtf8(ElectionName), Lease = lease, Value = ByteString.CopyFromUtf8(MemberId) },
                    cancellationToken: stop).ConfigureAwait(false);
                Volatile.Write(ref _leadership, response.Leader);
                PublishLeader(MemberId);
                LogElected(_logger, MemberId);
            }
            catch (Exception ex) when (ex is RpcException or IOException or HttpRequestException && !stop.IsCancellationRequested)
            {
                LogLoopFailed(_logger, MemberId, "campaign", ex.Message);
                await Task.Delay(RetryDelay, _time, stop).ConfigureAwait(false);
            }
        }
    }

    private async Task ObserveLeaderLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var call = _election.Observe(new LeaderRequest { Name = ByteString.CopyFromUtf8(ElectionName) }, cancellationToken: stop);
                while (await call.ResponseStream.MoveNext(stop).ConfigureAwait(false))
                {
                    var leader = call.ResponseStream.Current.Kv?.Value.ToStringUtf8();
                    if (!string.Equals(leader, MemberId, StringComparison.Ordinal))
                    {
                        Volatile.Write(ref _leadership, null);
                    }

                    PublishLeader(leader);
                }
            }
            catch (Exception ex) when (ex is RpcException or IOException or HttpRequestException && !stop.IsCancellationRequested)
            {
                LogLoopFailed(_logger, MemberId, "leader observation", ex.Message);
                await Task.Delay(RetryDelay, _time, stop).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The campaign and the observation both learn of leaders: one publishes at a time (Rx observers expect no overlap).</summary>
    private void PublishLeader(string? leader)
    {
        lock (_leader)
        {
            _leader.OnNext(leader);
        }
    }

    private void OnMembers(IReadOnlyDictionary<string, KeyValue> members)
    {
        lock (_membersLock)
        {
            _members = members;
            PublishMembers();
        }
    }

    private void OnDraining(IReadOnlyDictionary<string, KeyValue> draining)
    {
        lock (_membersLock)
        {
            _draining = draining.Values.Select(kv => kv.Value.ToStringUtf8()).ToArray();
            PublishMembers();
        }
    }

    /// <summary>
    /// Under <see cref="_membersLock"/>: the two watches publish one view at a time. In its own
    /// cluster this instance counts as a member only once announced under its current lease: before
    /// that, a key at its endpoint is a previous run's (a restart before that lease expired), and
    /// what the others send it belongs to the members that owned it meanwhile.
    /// </summary>
    private void PublishMembers()
    {
        var own = _options.MembersOf is null;
        var lease = LeaseId;
        var announced = Volatile.Read(ref _seat) == SeatMember;
        var members = _members.Values
            .Select(kv => (Member: kv.Value.ToStringUtf8(), kv.Lease))
            .Where(m => !own || !string.Equals(m.Member, Advertise, StringComparison.Ordinal) || (announced && m.Lease == lease));
        Membership.Publish(members, _draining ?? []);
    }

    private Task WatchPrefixLoopAsync(string prefix, Action<IReadOnlyDictionary<string, string>> onChange, CancellationToken stop)
    {
        var key = ByteString.CopyFromUtf8(prefix);
        return WatchLoopAsync(key, RangeEnd(key), onChange, stop);
    }

    private Task WatchRangeLoopAsync(string prefix, Action<IReadOnlyDictionary<string, KeyValue>> onChange, CancellationToken stop)
    {
        var key = ByteString.CopyFromUtf8(prefix);
        return WatchLoopAsync(key, RangeEnd(key), onChange, stop);
    }

    private Task WatchLoopAsync(ByteString key, ByteString rangeEnd, Action<IReadOnlyDictionary<string, string>> onChange, CancellationToken stop) =>
        WatchLoopAsync(key, rangeEnd, (IReadOnlyDictionary<string, KeyValue> values) =>
            onChange(values.ToDictionary(kv => kv.Key, kv => kv.Value.Value.ToStringUtf8(), StringComparer.Ordinal)), stop);

    /// <summary>Reads the range, reports it, then watches it from the next revision; starts over after an error.</summary>
    private async Task WatchLoopAsync(ByteString key, ByteString rangeEnd, Action<IReadOnlyDictionary<string, KeyValue>> onChange, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var range = await _kv.RangeAsync(new RangeRequest { Key = key, RangeEnd = rangeEnd }, cancellationToken: stop).ConfigureAwait(false);
                var values = range.Kvs.ToDictionary(kv => kv.Key.ToStringUtf8(), kv => kv, StringComparer.Ordinal);
                onChange(values);
                using var call = _watch.Watch(cancellationToken: stop);
                await call.RequestStream.WriteAsync(new WatchRequest
                {
                    CreateRequest = new WatchCreateRequest { Key = key, RangeEnd = rangeEnd, StartRevision = range.Header.Revision + 1 },
                }, stop).ConfigureAwait(false);
                while (await call.ResponseStream.MoveNext(stop).ConfigureAwait(false))
                {
                    var response = call.ResponseStream.Current;
                    if (response.Canceled)
                    {
                        break; // compacted past our revision: read again
                    }

                    // One report per event: etcd may deliver several changes in one response, and a
                    // watcher of a key wants each value it took, not only the last.
                    foreach (var change in response.Events)
                    {
                        var name = change.Kv.Key.ToStringUtf8();
                        if (change.Type == Event.Types.EventType.Delete)
                        {
                            values.Remove(name);
                        }
                        else
                        {
                            values[name] = change.Kv;
                        }

                        onChange(new Dictionary<string, KeyValue>(values, StringComparer.Ordinal));
                    }
                }
            }
            catch (Exception ex) when (ex is RpcException or IOException or HttpRequestException && !stop.IsCancellationRequested)
            {
                LogLoopFailed(_logger, MemberId, "watch " + key.ToStringUtf8(), ex.Message);
                await Task.Delay(RetryDelay, _time, stop).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The end of the range of keys that start with <paramref name="prefix"/>: the prefix with its last byte incremented.</summary>
    private static ByteString RangeEnd(ByteString prefix)
    {
        var bytes = prefix.ToByteArray();
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] < 0xff)
            {
                bytes[i]++;
                return ByteString.CopyFrom(bytes, 0, i + 1);
            }
        }

        return ByteString.CopyFrom(0); // every key
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "member '{MemberId}' ('{Advertise}') holds lease {LeaseId} (ttl {Ttl}s): {Seat}")]
    private static partial void LogRegistered(ILogger logger, string memberId, string advertise, long leaseId, long ttl, string seat);

    [LoggerMessage(Level = LogLevel.Warning, Message = "member '{MemberId}': etcd granted a {Granted}s lease for the {Requested}s asked; a dead member now leaves within about {Bound}s, not within 'leaseTtl'")]
    private static partial void LogLeaseRaised(ILogger logger, string memberId, long requested, long granted, string bound);

    [LoggerMessage(Level = LogLevel.Warning, Message = "member '{MemberId}': lease {LeaseId} expired; registering again")]
    private static partial void LogLeaseLost(ILogger logger, string memberId, long leaseId);

    [LoggerMessage(Level = LogLevel.Information, Message = "member '{MemberId}' announced as '{Advertise}': others now send to it")]
    private static partial void LogAnnounced(ILogger logger, string memberId, string advertise);

    [LoggerMessage(Level = LogLevel.Information, Message = "member '{MemberId}' left the members and drains")]
    private static partial void LogLeaving(ILogger logger, string memberId);

    [LoggerMessage(Level = LogLevel.Information, Message = "member '{MemberId}' is the leader")]
    private static partial void LogElected(ILogger logger, string memberId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "member '{MemberId}': {Loop} failed ({Error}); retrying")]
    private static partial void LogLoopFailed(ILogger logger, string memberId, string loop, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "member '{MemberId}': background loops stopped ({Reason})")]
    private static partial void LogStopped(ILogger logger, string memberId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "member '{MemberId}': could not leave cleanly ({Error}); the lease will expire")]
    private static partial void LogLeaveFailed(ILogger logger, string memberId, string error);
}
