using System.Collections.Concurrent;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OtlpFlow.Operators.Coordination.Etcd;
using OtlpFlow.Operators.Sampling;

namespace OtlpFlow.Operators.Coordination.Sampling;

/// <summary>
/// The global sampling coordinator, on etcd, for <c>sampling.adaptive</c> with <c>"scope": "cluster"</c>.
/// Every instance reports its per-key throughput under
/// <c>{prefix}/sampling/{operator}/throughput/{member}</c> (leased); the leader sums the reports
/// every interval, computes per-key probabilities that meet the cluster-wide target
/// (<see cref="ClusterRates.Compute"/>) and publishes them under
/// <c>{prefix}/sampling/{operator}/probabilities</c>; every instance watches that key and applies it.
/// </summary>
internal sealed partial class ClusterSamplingCoordinator : IClusterSampling, IAsyncDisposable
{
    private readonly EtcdCoordinator _coordinator;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, double>> _published = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private IDisposable? _watch;
    private Task _leaderLoop = Task.CompletedTask;

    /// <summary>Creates the coordinator; nothing happens before <see cref="Start"/>.</summary>
    /// <param name="coordinator">This instance's etcd coordinator (started).</param>
    /// <param name="interval">How often the leader recomputes the probabilities.</param>
    /// <param name="logger">Where the leader logs what it published.</param>
    /// <param name="timeProvider">The clock.</param>
    public ClusterSamplingCoordinator(EtcdCoordinator coordinator, TimeSpan interval, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _coordinator = coordinator;
        _interval = interval;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    private string Root => _coordinator.Prefix + "/sampling/";

    /// <summary>Follows the published probabilities and, while leader, publishes them every interval.</summary>
    public void Start()
    {
        _watch = _coordinator.WatchPrefix(Root).Subscribe(OnSamplingKeys);
        _leaderLoop = Task.Run(() => LeaderLoopAsync(_stop.Token));
    }

    /// <inheritdoc />
    public void Report(string operatorId, IReadOnlyDictionary<string, double> spansPerSecond, double targetPerSecond)
    {
        var report = JsonSerializer.Serialize(new ThroughputReport(targetPerSecond, spansPerSecond.ToDictionary(StringComparer.Ordinal)), JsonSerializerOptions.Web);

        // Called from the sampler's adjustment: never wait for etcd there.
        _ = PutAsync(Root + operatorId + "/throughput/" + _coordinator.MemberId, report);
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double>? Probabilities(string operatorId) => _published.GetValueOrDefault(operatorId);

    /// <summary>
    /// As leader, computes and publishes the probabilities of every operator that members reported
    /// for; does nothing on other instances. Runs every interval; public for hosts and tests.
    /// </summary>
    public async Task<bool> PublishIfLeaderAsync(CancellationToken cancellationToken = default)
    {
        if (!_coordinator.IsLeader)
        {
            return false;
        }

        var keys = await _coordinator.GetPrefixAsync(Root, cancellationToken).ConfigureAwait(false);
        var byOperator = keys
            .Where(k => k.Key.Contains("/throughput/", StringComparison.Ordinal))
            .GroupBy(k => k.Key[Root.Length..k.Key.IndexOf("/throughput/", StringComparison.Ordinal)], StringComparer.Ordinal);
        foreach (var group in byOperator)
        {
            var reports = group.Select(k => JsonSerializer.Deserialize<ThroughputReport>(k.Value, JsonSerializerOptions.Web)).OfType<ThroughputReport>().ToArray();
            if (reports.Length == 0)
            {
                continue;
            }

            var target = reports.Max(r => r.Target);
            var probabilities = ClusterRates.Compute(reports.Select(r => (IReadOnlyDictionary<string, double>)r.Rates), target);
            await _coordinator.PutAsync(Root + group.Key + "/probabilities", JsonSerializer.Serialize(probabilities, JsonSerializerOptions.Web), cancellationToken).ConfigureAwait(false);
            LogPublished(_logger, group.Key, reports.Length, probabilities.Count, target, reports.Sum(r => r.Rates.Values.Sum()));
        }

        return true;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _watch?.Dispose();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _leaderLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        _stop.Dispose();
    }

    private async Task LeaderLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await Task.Delay(_interval, _time, stop).ConfigureAwait(false);
            try
            {
                await PublishIfLeaderAsync(stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RpcException or JsonException && !stop.IsCancellationRequested)
            {
                LogFailed(_logger, ex.Message);
            }
        }
    }

    private async Task PutAsync(string key, string value)
    {
        try
        {
            await _coordinator.PutLeasedAsync(key, value).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            LogFailed(_logger, ex.Message);
        }
    }

    private void OnSamplingKeys(IReadOnlyDictionary<string, string> keys)
    {
        foreach (var (key, value) in keys)
        {
            if (key.EndsWith("/probabilities", StringComparison.Ordinal))
            {
                var operatorId = key[Root.Length..key.LastIndexOf('/')];
                try
                {
                    if (JsonSerializer.Deserialize<Dictionary<string, double>>(value, JsonSerializerOptions.Web) is { } probabilities)
                    {
                        _published[operatorId] = probabilities;
                    }
                }
                catch (JsonException ex)
                {
                    LogFailed(_logger, $"unreadable probabilities under {key}: {ex.Message}");
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "sampling '{OperatorId}': published {Keys} key probabilities from {Members} member reports ({Total:F0} spans/s for a target of {Target:F0})")]
    private static partial void LogPublished(ILogger logger, string operatorId, int members, int keys, double target, double total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "cluster sampling: {Error}")]
    private static partial void LogFailed(ILogger logger, string error);

    /// <summary>One member's report.</summary>
    private sealed record ThroughputReport(double Target, Dictionary<string, double> Rates);
}
