using System.Reactive.Subjects;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Hosting.Reload;

/// <summary>
/// Runs one pipeline and swaps it for a new spec on demand (from etcd, a file watcher, an API).
/// A new spec is built and validated first: an invalid one is rejected and logged while the old
/// pipeline keeps running untouched. A valid one takes over: the old pipeline stops its sources
/// and drains every in-flight batch to its sinks (nothing lost: its conservation counters balance,
/// see <see cref="ReloadResult.Retired"/>), then the new one starts. Reloads are serialized.
/// </summary>
/// <remarks>
/// The old pipeline drains before the new one starts rather than both running side by side:
/// receivers of both would want the same ports, and a stateful operator (a tail sampler) must not
/// see the same traces in two graphs. While the drain runs, receivers answer clients with the OTLP
/// throttling response and clients retry, so the switch costs a short pause, never data.
/// </remarks>
public sealed partial class PipelineSupervisor : IAsyncDisposable
{
    private static readonly IReadOnlyDictionary<string, OperatorCounters> NoCounters = new Dictionary<string, OperatorCounters>();

    private readonly Func<PipelineSpec, RunningPipeline> _build;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Subject<ReloadResult> _reloads = new();
    private RunningPipeline? _current;
    private PipelineSpec? _currentSpec;
    private int _generation;

    /// <summary>Creates a supervisor that builds pipelines with <paramref name="builder"/>.</summary>
    public PipelineSupervisor(PipelineBuilder builder, ILogger? logger = null)
        : this((builder ?? throw new ArgumentNullException(nameof(builder))).Build, logger)
    {
    }

    /// <summary>Creates a supervisor that builds pipelines with <paramref name="build"/>, which throws <see cref="PipelineValidationException"/> for an invalid spec.</summary>
    public PipelineSupervisor(Func<PipelineSpec, RunningPipeline> build, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(build);
        _build = build;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The running pipeline; null before the first spec is applied.</summary>
    public RunningPipeline? Current => Volatile.Read(ref _current);

    /// <summary>The spec of the running pipeline.</summary>
    public PipelineSpec? CurrentSpec => Volatile.Read(ref _currentSpec);

    /// <summary>How many specs were applied (0 before the first).</summary>
    public int Generation => Volatile.Read(ref _generation);

    /// <summary>Every reload's result, as it happens (control plane).</summary>
    public IObservable<ReloadResult> Reloads => _reloads;

    /// <summary>Parses <paramref name="json"/> and applies it; a file that is not JSON is rejected like any invalid spec.</summary>
    public Task<ReloadResult> ApplyAsync(string json, string? source = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(json);
        PipelineSpec spec;
        try
        {
            spec = PipelineLoader.Parse(json, source);
        }
        catch (PipelineValidationException ex)
        {
            return Task.FromResult(Reject(ex.Errors));
        }

        return ApplyAsync(spec, cancellationToken);
    }

    /// <summary>Validates and builds <paramref name="spec"/>; when it is valid, drains the running pipeline and starts the new one.</summary>
    public async Task<ReloadResult> ApplyAsync(PipelineSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            RunningPipeline next;
            try
            {
                next = _build(spec);
            }
            catch (PipelineValidationException ex)
            {
                return Reject(ex.Errors);
            }

            var (drained, retired) = await RetireAsync().ConfigureAwait(false);
            try
            {
                await next.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PipelineFaultedException ex)
            {
                await next.DisposeAsync().ConfigureAwait(false);
                return await RestoreAsync(ex, drained, retired).ConfigureAwait(false);
            }

            Volatile.Write(ref _current, next);
            Volatile.Write(ref _currentSpec, spec);
            var generation = Interlocked.Increment(ref _generation);
            LogApplied(_logger, spec.Name, generation, drained);
            return Publish(new ReloadResult(ReloadOutcome.Applied, generation, [], drained, retired));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the running pipeline, draining it.</summary>
    public async Task StopAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await RetireAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _reloads.OnCompleted();
        _reloads.Dispose();
        _gate.Dispose();
    }

    private async Task<(bool Drained, IReadOnlyDictionary<string, OperatorCounters> Counters)> RetireAsync()
    {
        var previous = Volatile.Read(ref _current);
        if (previous is null)
        {
            return (true, NoCounters);
        }

        var drained = await previous.StopAsync().ConfigureAwait(false);
        var counters = previous.Counters;
        await previous.DisposeAsync().ConfigureAwait(false);
        Volatile.Write(ref _current, null);
        LogRetired(_logger, previous.Name, Generation, drained,
            counters.Values.Sum(c => c.ItemsIn), counters.Values.Sum(c => c.ItemsDropped), counters.Values.All(c => c.Balanced));
        return (drained, counters);
    }

    /// <summary>The new pipeline would not start: run the last good spec again so that the instance keeps working.</summary>
    private async Task<ReloadResult> RestoreAsync(PipelineFaultedException error, bool drained, IReadOnlyDictionary<string, OperatorCounters> retired)
    {
        var errors = new[] { new PipelineError(null, 0, 0, error.OperatorId, "$", error.Message) };
        LogStartFailed(_logger, error.Message);
        if (Volatile.Read(ref _currentSpec) is { } last)
        {
            try
            {
                var back = _build(last);
                await back.StartAsync().ConfigureAwait(false);
                Volatile.Write(ref _current, back);
            }
            catch (Exception ex) when (ex is PipelineValidationException or PipelineFaultedException)
            {
                LogRestoreFailed(_logger, ex.Message);
            }
        }

        return Publish(new ReloadResult(ReloadOutcome.Failed, Generation, errors, drained, retired));
    }

    private ReloadResult Reject(IReadOnlyList<PipelineError> errors)
    {
        LogRejected(_logger, Generation, errors.Count, string.Join("; ", errors.Select(e => e.ToString())));
        return Publish(new ReloadResult(ReloadOutcome.Rejected, Generation, errors, true, NoCounters));
    }

    private ReloadResult Publish(ReloadResult result)
    {
        lock (_reloads)
        {
            _reloads.OnNext(result);
        }

        return result;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "pipeline '{Name}' generation {Generation} is running (previous one drained: {Drained})")]
    private static partial void LogApplied(ILogger logger, string name, int generation, bool drained);

    [LoggerMessage(Level = LogLevel.Information, Message = "pipeline '{Name}' generation {Generation} retired (drained: {Drained}); items in {ItemsIn}, dropped {Dropped}, conservation holds: {Balanced}")]
    private static partial void LogRetired(ILogger logger, string name, int generation, bool drained, long itemsIn, long dropped, bool balanced);

    [LoggerMessage(Level = LogLevel.Error, Message = "new pipeline spec rejected; generation {Generation} keeps running. {Count} problem(s): {Errors}")]
    private static partial void LogRejected(ILogger logger, int generation, int count, string errors);

    [LoggerMessage(Level = LogLevel.Error, Message = "new pipeline failed to start ({Error}); starting the last good spec again")]
    private static partial void LogStartFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Critical, Message = "the last good pipeline spec failed to start again ({Error}); no pipeline is running")]
    private static partial void LogRestoreFailed(ILogger logger, string error);
}
