namespace OtlpFlow.Operators.Coordination.Tests.Servers;

/// <summary>A redis-server on a free loopback port, without persistence; it can be killed and started again on the same port.</summary>
public sealed class RedisServer() : ServerProcess("redis-server")
{
    public int Port { get; } = FreePort();

    public string Connection => $"127.0.0.1:{Port}";

    protected override IEnumerable<string> Arguments() =>
    [
        "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--dir", DataFolder,
    ];

    protected override Task<bool> IsReadyAsync() => AcceptsAsync(Port);
}
