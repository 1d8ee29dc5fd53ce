using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using OtlpFlow.Operators.Coordination.Limiting;
using OtlpFlow.Operators.Coordination.Redis;
using OtlpFlow.Operators.Flow;
using StackExchange.Redis;

namespace OtlpFlow.Benchmarks.Coordination;

/// <summary>
/// The price of a cluster-wide limit: one decision per batch of 100 items with
/// <see cref="DistributedRateLimiter"/> (GCRA in one Lua call on a local redis-server), against
/// System.Threading.RateLimiting's in-process <see cref="TokenBucketRateLimiter"/> (the baseline: what
/// a single instance would use) and a hand-written Redis fixed-window counter (INCRBY + EXPIRE, the
/// usual do-it-yourself shared limit, which lets twice the rate through at a window edge). Limits are
/// high enough that every request is admitted. Needs redis-server on the PATH or in /usr/bin.
/// </summary>
[MemoryDiagnoser]
public class DistributedLimiterBenchmarks
{
    private const int Batch = 100;
    private Process? _redis;
    private IConnectionMultiplexer _connection = null!;
    private DistributedRateLimiter _distributed = null!;
    private TokenBucketRateLimiter _local = null!;

    /// <summary>Starts a redis-server on a free loopback port and connects.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var program = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed (apt-get install redis-server)");
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        _redis = Process.Start(new ProcessStartInfo(program, $"--port {port} --bind 127.0.0.1 --save \"\" --appendonly no") { RedirectStandardOutput = true });
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, port);
                break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }

        _connection = RedisConnections.ConnectAsync($"127.0.0.1:{port}", TimeSpan.FromSeconds(2)).GetAwaiter().GetResult();
        _distributed = new DistributedRateLimiter(_connection, "bench:limit", 1e12, 1e12, new TokenBucketLimiter(1, 1), TimeSpan.FromSeconds(2));
        _local = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = int.MaxValue,
            TokensPerPeriod = int.MaxValue,
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    /// <summary>Disconnects and stops redis-server.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _local.Dispose();
        _connection.Dispose();
        _redis?.Kill();
        _redis?.Dispose();
    }

    /// <summary>In-process token bucket: no sharing at all.</summary>
    [Benchmark(Baseline = true)]
    public bool LocalTokenBucket()
    {
        using var lease = _local.AttemptAcquire(Batch);
        return lease.IsAcquired;
    }

    /// <summary>The shared GCRA limit: one Lua call per batch.</summary>
    [Benchmark]
    public async Task<bool> DistributedGcra() => (await _distributed.TryAcquireAsync(Batch)).Acquired;

    /// <summary>A hand-written fixed window in Redis: INCRBY then EXPIRE, two round trips per batch.</summary>
    [Benchmark]
    public async Task<bool> RedisFixedWindow()
    {
        var database = _connection.GetDatabase();
        var key = "bench:window:" + (Environment.TickCount64 / 1000);
        var count = await database.StringIncrementAsync(key, Batch);
        await database.KeyExpireAsync(key, TimeSpan.FromSeconds(2));
        return count <= long.MaxValue / 2;
    }
}
