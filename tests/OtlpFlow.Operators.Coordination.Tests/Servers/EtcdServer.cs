namespace OtlpFlow.Operators.Coordination.Tests.Servers;

/// <summary>An etcd node on free loopback ports: a single-node etcd, or a member of a <see cref="Cluster"/>.</summary>
public sealed class EtcdServer : ServerProcess
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly string _name;
    private readonly string? _initialCluster;
    private readonly string _token;
    private TimeSpan? _electionTimeout;

    /// <summary>A single-node etcd.</summary>
    public EtcdServer()
        : this("test", FreePort(), null, "otlpflow-test")
    {
    }

    private EtcdServer(string name, int peerPort, string? initialCluster, string token)
        : base("etcd")
    {
        _name = name;
        PeerPort = peerPort;
        _initialCluster = initialCluster;
        _token = token;
    }

    public int ClientPort { get; } = FreePort();

    public int PeerPort { get; }

    public string Endpoint => $"http://127.0.0.1:{ClientPort}";

    private string PeerUrl => $"http://127.0.0.1:{PeerPort}";

    /// <summary>
    /// A single-node etcd with a longer election timeout than the default 1s (the heartbeat is a
    /// tenth of it); etcd raises leases shorter than 1.5 election timeouts.
    /// </summary>
    public static EtcdServer WithElectionTimeout(TimeSpan electionTimeout) => new() { _electionTimeout = electionTimeout };

    /// <summary>
    /// The members of one etcd cluster of <paramref name="size"/> nodes. Start them together (each
    /// answers only once a quorum has formed).
    /// </summary>
    public static EtcdServer[] Cluster(int size)
    {
        var peers = Enumerable.Range(0, size).Select(i => (Name: $"node{i}", Port: FreePort())).ToArray();
        var initial = string.Join(',', peers.Select(p => $"{p.Name}=http://127.0.0.1:{p.Port}"));
        var token = "otlpflow-" + Guid.NewGuid().ToString("N");
        return peers.Select(p => new EtcdServer(p.Name, p.Port, initial, token)).ToArray();
    }

    protected override IEnumerable<string> Arguments() =>
    [
        .. _electionTimeout is { } election
            ? new[]
            {
                "--election-timeout", ((long)election.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--heartbeat-interval", ((long)election.TotalMilliseconds / 10).ToString(System.Globalization.CultureInfo.InvariantCulture),
            }
            : [],
        "--name", _name,
        "--data-dir", Path.Combine(DataFolder, "data"),
        "--listen-client-urls", Endpoint,
        "--advertise-client-urls", Endpoint,
        "--listen-peer-urls", PeerUrl,
        "--initial-advertise-peer-urls", PeerUrl,
        "--initial-cluster", _initialCluster ?? $"{_name}={PeerUrl}",
        "--initial-cluster-token", _token,
        "--initial-cluster-state", "new",
        "--log-level", "warn",
    ];

    protected override async Task<bool> IsReadyAsync()
    {
        try
        {
            using var response = await Http.GetAsync(Endpoint + "/health");
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}
