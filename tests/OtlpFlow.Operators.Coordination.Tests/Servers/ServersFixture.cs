namespace OtlpFlow.Operators.Coordination.Tests.Servers;

/// <summary>One etcd and one Redis shared by the tests of the <see cref="ServersCollection"/>; each test uses its own prefix or keys.</summary>
public sealed class ServersFixture : IAsyncLifetime
{
    private EtcdServer? _etcd;
    private RedisServer? _redis;

    public EtcdServer Etcd => _etcd ?? throw new InvalidOperationException("etcd is not installed");

    public RedisServer Redis => _redis ?? throw new InvalidOperationException("redis-server is not installed");

    public async Task InitializeAsync()
    {
        if (ServerBinary.Find("etcd") is not null || ServerBinary.Required)
        {
            _etcd = new EtcdServer();
            await _etcd.StartAsync();
        }

        if (ServerBinary.Find("redis-server") is not null || ServerBinary.Required)
        {
            _redis = new RedisServer();
            await _redis.StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    /// <summary>A key prefix no other test uses.</summary>
    public static string UniquePrefix(string name) => $"/test/{name}-{Guid.NewGuid():N}";
}
