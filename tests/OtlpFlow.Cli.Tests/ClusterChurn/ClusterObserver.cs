using System.Net;
using System.Net.Sockets;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Net.Client;

namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>
/// Watches the cluster from outside, every <see cref="Period"/>: the back tier's member keys in
/// etcd with their leases (a new lease is a new registration, even under the same member id and
/// value), and for every back incarnation when its port first accepts a connection and when its
/// output file first holds a record. It only reads; it never registers.
/// </summary>
internal sealed class ClusterObserver : IAsyncDisposable
{
    /// <summary>How often the cluster is sampled: the resolution of the times it reports.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(50);

    private readonly GrpcChannel _channel;
    private readonly KV.KVClient _kv;
    private readonly string _membersPrefix;
    private readonly Func<double> _now;
    private readonly List<BackIncarnation> _incarnations = [];
    private readonly List<MembershipEvent> _events = [];
    private readonly Dictionary<string, long> _present = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <summary>Observes the members under <paramref name="clusterPrefix"/> on <paramref name="etcdEndpoint"/>; <paramref name="now"/> is the scenario's clock in seconds.</summary>
    public ClusterObserver(string etcdEndpoint, string clusterPrefix, Func<double> now)
    {
        _channel = GrpcChannel.ForAddress(etcdEndpoint);
        _kv = new KV.KVClient(_channel);
        _membersPrefix = clusterPrefix.TrimEnd('/') + "/members/";
        _now = now;
    }

    /// <summary>Membership changes seen so far, in order.</summary>
    public IReadOnlyList<MembershipEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Starts following <paramref name="incarnation"/> (its registration, port and output file).</summary>
    public void Follow(BackIncarnation incarnation)
    {
        lock (_incarnations)
        {
            _incarnations.Add(incarnation);
        }
    }

    /// <summary>Starts sampling in the background.</summary>
    public void Start() => _loop = Task.Run(() => LoopAsync(_stop.Token));

    /// <summary>Reads one key; null when it does not exist.</summary>
    public async Task<string?> GetAsync(string key)
    {
        var response = await _kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) });
        return response.Kvs.Count == 0 ? null : response.Kvs[0].Value.ToStringUtf8();
    }

    /// <summary>Stops sampling.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
        _channel.Dispose();
    }

    private async Task LoopAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Period);
        do
        {
            try
            {
                await SampleAsync(stop);
            }
            catch (Exception ex) when (ex is Grpc.Core.RpcException or IOException && !stop.IsCancellationRequested)
            {
                // etcd busy for a moment: the next sample catches up (times are then a little late).
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
        while (await WaitAsync(timer, stop));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stop)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task SampleAsync(CancellationToken stop)
    {
        var key = ByteString.CopyFromUtf8(_membersPrefix);
        var end = key.ToByteArray();
        end[^1]++;
        var response = await _kv.RangeAsync(new RangeRequest { Key = key, RangeEnd = ByteString.CopyFrom(end) }, cancellationToken: stop);
        var now = _now();
        var seen = response.Kvs.ToDictionary(kv => kv.Key.ToStringUtf8()[_membersPrefix.Length..], kv => kv.Lease, StringComparer.Ordinal);
        BackIncarnation[] incarnations;
        lock (_incarnations)
        {
            incarnations = [.. _incarnations];
        }

        lock (_events)
        {
            foreach (var (member, lease) in seen)
            {
                if (!_present.TryGetValue(member, out var known) || known != lease)
                {
                    _present[member] = lease;
                    _events.Add(new MembershipEvent(now, member, lease, Registered: true));

                    // The newest incarnation of that member not yet registered is the one that did.
                    if (incarnations.LastOrDefault(i => i.MemberId == member) is { RegisteredAt: null } incarnation)
                    {
                        incarnation.RegisteredAt = now;
                        incarnation.Lease = lease;
                    }
                }
            }

            foreach (var member in _present.Keys.Where(m => !seen.ContainsKey(m)).ToArray())
            {
                var lease = _present[member];
                _events.Add(new MembershipEvent(now, member, lease, Registered: false));
                _present.Remove(member);
                if (incarnations.LastOrDefault(i => i.MemberId == member && i.Lease == lease) is { DeregisteredAt: null } gone)
                {
                    gone.DeregisteredAt = now;
                }
            }
        }

        foreach (var incarnation in incarnations)
        {
            if (incarnation.FirstWriteAt is null && File.Exists(incarnation.OutputPath) && new FileInfo(incarnation.OutputPath).Length > 0)
            {
                incarnation.FirstWriteAt = now;
            }

            if (incarnation.ListeningAt is null && await AcceptsAsync(incarnation.Port, stop))
            {
                incarnation.ListeningAt = now;
            }
        }
    }

    private static async Task<bool> AcceptsAsync(int port, CancellationToken stop)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(TimeSpan.FromMilliseconds(200));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !stop.IsCancellationRequested))
        {
            return false;
        }
    }
}
