using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OtlpFlow.Operators.Resilience;
using StackExchange.Redis;

namespace OtlpFlow.Operators.Coordination.Resilience;

/// <summary>
/// A local <see cref="CircuitBreaker"/> whose openings are shared through Redis, so that instances
/// open together for a failing target. When this instance's breaker opens on its own evidence, it
/// writes <c>{key}</c> with the break as its expiry and publishes the break on the channel
/// <c>{key}</c>; every other instance then isolates its breaker for the rest of that break, and
/// one joining later reads the key. Without Redis each instance simply keeps its local breaker.
/// </summary>
public sealed partial class DistributedCircuitBreaker : IAsyncDisposable
{
    private readonly IConnectionMultiplexer? _redis;
    private readonly string _key;
    private readonly string _instance = Guid.NewGuid().ToString("N");
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IDisposable _changes;
    private readonly Lock _lock = new();
    private ITimer? _release;
    private ChannelMessageQueue? _subscription;
    private Task _sharing = Task.CompletedTask;

    /// <summary>Creates the breaker; call <see cref="StartAsync"/> to join the shared state.</summary>
    public DistributedCircuitBreaker(CircuitBreakerOptions options, IConnectionMultiplexer? redis, string key, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(key);
        _redis = redis;
        _key = key;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        Local = new CircuitBreaker(options, key, _time, _logger);
        _changes = Local.StateChanges.Subscribe(OnLocalChange);
    }

    /// <summary>The local breaker: acquire permits from it and report outcomes to it.</summary>
    public CircuitBreaker Local { get; }

    /// <summary>True while the breaker rejects because another instance opened.</summary>
    public bool OpenedByPeer { get; private set; }

    /// <summary>Subscribes to the other instances' openings and adopts a break already in progress.</summary>
    public async Task StartAsync()
    {
        if (_redis is null)
        {
            return;
        }

        try
        {
            _subscription = await _redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(_key)).ConfigureAwait(false);
            _subscription.OnMessage(message => OnPeerMessage(message.Message));
            var remaining = await _redis.GetDatabase().KeyTimeToLiveAsync(_key).ConfigureAwait(false);
            if (remaining is { } ttl && ttl > TimeSpan.Zero)
            {
                IsolateFor(ttl, "a break in progress");
            }
        }
        catch (RedisException ex)
        {
            LogUnshared(_logger, _key, ex.Message);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _changes.Dispose();

        // A break being shared right now must reach the others before the connection goes.
        Task sharing;
        lock (_lock)
        {
            sharing = _sharing;
        }

        await sharing.ConfigureAwait(false);
        if (_subscription is not null)
        {
            await _subscription.UnsubscribeAsync().ConfigureAwait(false);
        }

        if (_release is not null)
        {
            await _release.DisposeAsync().ConfigureAwait(false);
        }

        Local.Dispose();
    }

    private void OnLocalChange(CircuitStateChange change)
    {
        // Only openings on local evidence are shared: an isolation is a peer's (or an operator's) doing.
        if (change.To == CircuitState.Open && _redis is not null)
        {
            lock (_lock)
            {
                _sharing = ShareAsync(change.BreakDuration);
            }
        }
    }

    private async Task ShareAsync(TimeSpan breakFor)
    {
        try
        {
            var database = _redis!.GetDatabase();
            await database.StringSetAsync(_key, _instance, breakFor).ConfigureAwait(false);
            await _redis.GetSubscriber().PublishAsync(RedisChannel.Literal(_key), $"{_instance} {(long)breakFor.TotalMilliseconds}").ConfigureAwait(false);
            LogShared(_logger, _key, breakFor.TotalSeconds);
        }
        catch (RedisException ex)
        {
            LogUnshared(_logger, _key, ex.Message);
        }
    }

    private void OnPeerMessage(RedisValue message)
    {
        var parts = message.ToString().Split(' ', 2);
        if (parts.Length != 2 || parts[0] == _instance || !long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var millis))
        {
            return;
        }

        IsolateFor(TimeSpan.FromMilliseconds(millis), "a peer opened");
    }

    private void IsolateFor(TimeSpan duration, string why)
    {
        lock (_lock)
        {
            if (Local.State is CircuitState.Open)
            {
                return; // already broken on its own evidence
            }

            OpenedByPeer = true;
            Local.Isolate();
            _release?.Dispose();
            _release = _time.CreateTimer(_ => Release(), null, duration, Timeout.InfiniteTimeSpan);
        }

        LogPeerOpened(_logger, _key, why, duration.TotalSeconds);
    }

    private void Release()
    {
        lock (_lock)
        {
            if (OpenedByPeer && Local.State == CircuitState.Isolated)
            {
                Local.Reset();
            }

            OpenedByPeer = false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "breaker '{Key}' opened here; shared the {Seconds:F1}s break with the cluster")]
    private static partial void LogShared(ILogger logger, string key, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "breaker '{Key}' opened because {Why}; rejecting for {Seconds:F1}s")]
    private static partial void LogPeerOpened(ILogger logger, string key, string why, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "breaker '{Key}': Redis is unreachable ({Error}); the breaker works locally")]
    private static partial void LogUnshared(ILogger logger, string key, string error);
}
