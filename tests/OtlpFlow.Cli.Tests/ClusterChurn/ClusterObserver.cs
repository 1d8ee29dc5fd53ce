using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>
/// Watches the cluster from outside, every <see cref="Period"/>: the back tier's member keys in
/// etcd with their leases (a new lease is a new registration, even under the same member id and
/// value), and for every back incarnation when its port first accepts a connection, when its
/// output file first holds a record, and when its process is gone. It only reads; it never
/// registers.
/// </summary>
/// <remarks>
/// It runs on a thread of its own and makes only synchronous calls (etcd's JSON gateway over
/// HTTP/1.1, non-blocking connects, /proc): the test process keeps thousands of requests in
/// flight, and a sampler on the thread pool would stamp its observations with the pool's queueing
/// delay rather than with the time things happened.
/// </remarks>
internal sealed class ClusterObserver : IDisposable
{
    /// <summary>How often the cluster is sampled: the resolution of the times it reports.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(50);

    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan }) { Timeout = TimeSpan.FromSeconds(5) };
    private readonly string _etcd;
    private readonly string _membersPrefix;
    private readonly Func<double> _now;
    private readonly List<BackIncarnation> _incarnations = [];
    private readonly List<MembershipEvent> _events = [];
    private readonly Dictionary<string, long> _present = new(StringComparer.Ordinal);
    private readonly ManualResetEventSlim _stop = new();
    private Thread? _thread;
    private double _lastSample = double.NaN;
    private double _longestGap;

    /// <summary>Observes the members under <paramref name="clusterPrefix"/> on <paramref name="etcdEndpoint"/>; <paramref name="now"/> is the scenario's clock in seconds.</summary>
    public ClusterObserver(string etcdEndpoint, string clusterPrefix, Func<double> now)
    {
        _etcd = etcdEndpoint.TrimEnd('/');
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

    /// <summary>The longest time between two samples so far, in seconds: the worst resolution of the times reported.</summary>
    public double LongestGap => Volatile.Read(ref _longestGap);

    /// <summary>Starts following <paramref name="incarnation"/> (its registration, port, output file and process).</summary>
    public void Follow(BackIncarnation incarnation)
    {
        lock (_incarnations)
        {
            _incarnations.Add(incarnation);
        }
    }

    /// <summary>Starts sampling on a thread of its own.</summary>
    public void Start()
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "cluster observer" };
        _thread.Start();
    }

    /// <summary>Reads one key; null when it does not exist.</summary>
    public async Task<string?> GetAsync(string key)
    {
        using var response = await _http.PostAsync(_etcd + "/v3/kv/range", Body(key, rangeEnd: null));
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.TryGetProperty("kvs", out var kvs) && kvs.GetArrayLength() > 0
            ? Encoding.UTF8.GetString(Convert.FromBase64String(kvs[0].GetProperty("value").GetString() ?? string.Empty))
            : null;
    }

    /// <summary>Stops sampling, after one last sample.</summary>
    public void Stop()
    {
        _stop.Set();
        _thread?.Join();
    }

    public void Dispose()
    {
        Stop();
        _stop.Dispose();
        _http.Dispose();
    }

    private void Loop()
    {
        do
        {
            try
            {
                Sample();
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException or TaskCanceledException)
            {
                // etcd busy for a moment: the next sample catches up.
            }
        }
        while (!_stop.Wait(Period));

        try
        {
            Sample();
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException or TaskCanceledException)
        {
            // The last look is a courtesy.
        }
    }

    private void Sample()
    {
        var members = Members();
        var now = _now();
        if (!double.IsNaN(_lastSample) && now - _lastSample > _longestGap)
        {
            Volatile.Write(ref _longestGap, now - _lastSample);
        }

        _lastSample = now;
        BackIncarnation[] incarnations;
        lock (_incarnations)
        {
            incarnations = [.. _incarnations];
        }

        lock (_events)
        {
            foreach (var (member, lease) in members)
            {
                if (!_present.TryGetValue(member, out var known) || known != lease)
                {
                    _present[member] = lease;
                    _events.Add(new MembershipEvent(now, member, lease, Registered: true));

                    // The newest incarnation of that member not yet registered is the one that did.
                    if (incarnations.LastOrDefault(i => i.MemberId == member) is { RegisteredAt: null } incarnation)
                    {
                        incarnation.Lease = lease;
                        incarnation.RegisteredAt = now;
                    }
                }
            }

            foreach (var member in _present.Keys.Where(m => !members.ContainsKey(m)).ToArray())
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

            if (incarnation.ListeningAt is null && incarnation.GoneAt is null && Accepts(incarnation.Port))
            {
                incarnation.ListeningAt = now;
            }

            if (incarnation.GoneAt is null && incarnation.Process is { } process && Gone(process.Id))
            {
                incarnation.GoneAt = now;
            }
        }
    }

    /// <summary>The back tier's members and their leases, from etcd's JSON gateway.</summary>
    private Dictionary<string, long> Members()
    {
        var prefix = Encoding.UTF8.GetBytes(_membersPrefix);
        var end = (byte[])prefix.Clone();
        end[^1]++;
        using var request = new HttpRequestMessage(HttpMethod.Post, _etcd + "/v3/kv/range") { Content = Body(_membersPrefix, end) };
        using var response = _http.Send(request);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(response.Content.ReadAsStream());
        var members = new Dictionary<string, long>(StringComparer.Ordinal);
        if (json.RootElement.TryGetProperty("kvs", out var kvs))
        {
            foreach (var kv in kvs.EnumerateArray())
            {
                var key = Encoding.UTF8.GetString(Convert.FromBase64String(kv.GetProperty("key").GetString()!));
                var lease = kv.TryGetProperty("lease", out var l) ? long.Parse(l.GetString()!, CultureInfo.InvariantCulture) : 0;
                members[key[_membersPrefix.Length..]] = lease;
            }
        }

        return members;
    }

    private static StringContent Body(string key, byte[]? rangeEnd)
    {
        // Serializable: answered by the node from its own state, without a round of consensus that
        // would wait behind etcd's disk syncs (slow on a busy disk) and stamp late times.
        var body = new Dictionary<string, object> { ["key"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(key)), ["serializable"] = true };
        if (rangeEnd is not null)
        {
            body["range_end"] = Convert.ToBase64String(rangeEnd);
        }

        return new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
    }

    /// <summary>True when something accepts a connection on the loopback port within 200 ms.</summary>
    private static bool Accepts(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
        try
        {
            socket.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            return socket.Poll(TimeSpan.FromMilliseconds(200), SelectMode.SelectWrite)
                && (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)! == 0;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>True when the process has ended: no /proc entry, or a zombie not yet reaped.</summary>
    private static bool Gone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].TrimStart();
            return state.StartsWith('Z') || state.StartsWith('X');
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return true;
        }
    }
}
