namespace OtlpFlow.Operators.Coordination.Tests.Servers;

/// <summary>A single-node etcd on free loopback ports.</summary>
public sealed class EtcdServer() : ServerProcess("etcd")
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    public int ClientPort { get; } = FreePort();

    public int PeerPort { get; } = FreePort();

    public string Endpoint => $"http://127.0.0.1:{ClientPort}";

    protected override IEnumerable<string> Arguments() =>
    [
        "--name", "test",
        "--data-dir", Path.Combine(DataFolder, "data"),
        "--listen-client-urls", Endpoint,
        "--advertise-client-urls", Endpoint,
        "--listen-peer-urls", $"http://127.0.0.1:{PeerPort}",
        "--initial-advertise-peer-urls", $"http://127.0.0.1:{PeerPort}",
        "--initial-cluster", $"test=http://127.0.0.1:{PeerPort}",
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
