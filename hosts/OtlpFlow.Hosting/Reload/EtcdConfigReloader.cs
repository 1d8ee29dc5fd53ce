using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OtlpFlow.Operators.Coordination.Etcd;

namespace OtlpFlow.Hosting.Reload;

/// <summary>
/// Loads an instance's pipeline from an etcd key and reloads it through a
/// <see cref="PipelineSupervisor"/> whenever the key changes. Each instance reports the outcome
/// under <c>{prefix}/health/{member}</c> (leased: it disappears with the instance). With
/// <see cref="EtcdReloadOptions.Rolling"/> the cluster upgrades one instance at a time.
/// </summary>
public sealed partial class EtcdConfigReloader : IAsyncDisposable
{
    private readonly EtcdCoordinator _coordinator;
    private readonly PipelineSupervisor _supervisor;
    private readonly EtcdReloadOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<string> _pending = Channel.CreateBounded<string>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly Subject<RolloutStep> _steps = new();
    private readonly CancellationTokenSource _stop = new();
    private IDisposable? _subscription;
    private Task _loop = Task.CompletedTask;
    private string? _lastText;

    /// <summary>Creates the reloader; nothing happens before <see cref="Start"/>.</summary>
    public EtcdConfigReloader(EtcdCoordinator coordinator, PipelineSupervisor supervisor, EtcdReloadOptions? options = null, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        ArgumentNullException.ThrowIfNull(supervisor);
        _coordinator = coordinator;
        _supervisor = supervisor;
        _options = options ?? new EtcdReloadOptions();
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The full key watched.</summary>
    public string ConfigKey => _coordinator.Prefix + "/" + _options.Key.TrimStart('/');

    /// <summary>This instance's steps, as they finish.</summary>
    public IObservable<RolloutStep> Steps => _steps;

    /// <summary>Starts following the key: the current value is applied at once, later ones as they come (only the latest of a burst).</summary>
    public void Start()
    {
        _subscription = _coordinator.WatchKey(ConfigKey)
            .Where(text => text is not null)
            .Subscribe(text => _pending.Writer.TryWrite(text!));
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _subscription?.Dispose();
        _pending.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        _steps.OnCompleted();
        _steps.Dispose();
        _stop.Dispose();
    }

    /// <summary>A short, stable name for a config text.</summary>
    public static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12];

    private async Task RunAsync(CancellationToken stop)
    {
        await foreach (var text in _pending.Reader.ReadAllAsync(stop).ConfigureAwait(false))
        {
            if (string.Equals(text, _lastText, StringComparison.Ordinal))
            {
                continue;
            }

            _lastText = text;
            try
            {
                if (_options.Rolling)
                {
                    await _coordinator.WithLockAsync("rollout", ct => ApplyAsync(text, ct), stop).ConfigureAwait(false);
                }
                else
                {
                    await ApplyAsync(text, stop).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(_logger, _coordinator.MemberId, ex.Message);
            }
        }
    }

    private async Task ApplyAsync(string text, CancellationToken cancellationToken)
    {
        var config = Hash(text);
        var started = _time.GetUtcNow();
        if (_options.Rolling && await HaltedByAsync(config, cancellationToken).ConfigureAwait(false) is { } failed)
        {
            LogHalted(_logger, _coordinator.MemberId, config, failed);
            await ReportAsync(config, "skipped", started, cancellationToken).ConfigureAwait(false);
            return;
        }

        var result = await _supervisor.ApplyAsync(text, ConfigKey, cancellationToken).ConfigureAwait(false);
        if (result.Outcome != ReloadOutcome.Applied)
        {
            await ReportAsync(config, result.Outcome == ReloadOutcome.Rejected ? "rejected" : "unhealthy", started, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Healthy: still running, without a fault, after the settling time.
        var pipeline = _supervisor.Current;
        await Task.Delay(_options.HealthyAfter, _time, cancellationToken).ConfigureAwait(false);
        var healthy = pipeline is not null && ReferenceEquals(pipeline, _supervisor.Current) && !pipeline.Completion.IsFaulted;
        await ReportAsync(config, healthy ? "healthy" : "unhealthy", started, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The member whose report halts the rollout of <paramref name="config"/>, if any.</summary>
    private async Task<string?> HaltedByAsync(string config, CancellationToken cancellationToken)
    {
        var reports = await _coordinator.GetPrefixAsync(_coordinator.Prefix + "/health/", cancellationToken).ConfigureAwait(false);
        foreach (var (key, value) in reports)
        {
            var report = JsonSerializer.Deserialize<HealthReport>(value, JsonSerializerOptions.Web);
            if (report is not null && report.Config == config && report.Status is "rejected" or "unhealthy")
            {
                return key[(key.LastIndexOf('/') + 1)..];
            }
        }

        return null;
    }

    private async Task ReportAsync(string config, string status, DateTimeOffset started, CancellationToken cancellationToken)
    {
        var report = new HealthReport(config, status, _supervisor.Generation);
        await _coordinator.PutLeasedAsync(_coordinator.Prefix + "/health/" + _coordinator.MemberId, JsonSerializer.Serialize(report, JsonSerializerOptions.Web), cancellationToken).ConfigureAwait(false);
        LogReported(_logger, _coordinator.MemberId, config, status);
        _steps.OnNext(new RolloutStep(_coordinator.MemberId, config, status, started, _time.GetUtcNow()));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "member '{MemberId}': config {Config} is {Status}")]
    private static partial void LogReported(ILogger logger, string memberId, string config, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "member '{MemberId}': rollout of config {Config} halted: member '{Failed}' rejected it or became unhealthy")]
    private static partial void LogHalted(ILogger logger, string memberId, string config, string failed);

    [LoggerMessage(Level = LogLevel.Error, Message = "member '{MemberId}': applying a config from etcd failed: {Error}")]
    private static partial void LogFailed(ILogger logger, string memberId, string error);

    /// <summary>What an instance publishes under <c>{prefix}/health/{member}</c>.</summary>
    private sealed record HealthReport(string Config, string Status, int Generation);
}
