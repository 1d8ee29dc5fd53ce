using System.Buffers.Binary;
using System.Diagnostics;
using Google.Protobuf;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Common.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Resilience;

/// <summary>
/// Sheds load in steps as the pipeline saturates: reads load signals (queue fill downstream, the
/// memory budget, a downstream breaker, CPU, the instance's load from the coordination layer's
/// load monitor) every interval, moves a
/// <see cref="DegradationController"/> with hysteresis, and applies the current level's actions to
/// each batch: sample traces and logs, drop attributes, drop whole signals, or route to another port.
/// </summary>
/// <remarks>
/// Every batch sent on is a request of its own whose acknowledgement this operator watches: the
/// unacknowledged count is the queue signal, and failures feed the downstream breaker. The
/// incoming batch's share is settled with the same outcome once the batch sent on is settled.
/// </remarks>
[Operator("resilience.degradation", Options = typeof(DegradationOptions),
    Description = "Degrades in steps under load (sampling, dropping attributes or signals, cheaper route), with hysteresis.",
    Example = """{ "levels": [ { "name": "sample", "enterAbove": 0.6, "exitBelow": 0.4, "sampleRatio": 0.5 } ] }""")]
public sealed class DegradationOperator : ProcessorOperator
{
    /// <summary>Drop reason for items removed by a level's sampling.</summary>
    public const string SampledReason = "degraded_sampled";

    /// <summary>Drop reason for whole batches of a signal a level drops.</summary>
    public const string SignalReason = "degraded_signal";

    private readonly DegradationOptions _options;
    private readonly List<(string Name, Func<double> Read)> _signals = [];
    private readonly IReadOnlyList<string> _ports;
    private readonly CircuitBreaker? _breaker;
    private ITimer? _timer;
    private int _unacknowledged;
    private TimeSpan _lastCpu;
    private long _lastCpuAt;

    /// <summary>Creates the operator at level 0.</summary>
    public DegradationOperator(DegradationOptions options, OperatorContext context)
        : base(context)
    {
        _options = OptionsCheck.Valid(options, nameof(options));
        Controller = new DegradationController(options.Levels, options.Cooldown, context.Id, context.TimeProvider, context.Logger, context.Meter);
        _ports = [IOperatorOutput.DefaultPort, .. options.Levels.Select(l => l.Route).OfType<string>().Where(p => p != IOperatorOutput.DefaultPort).Distinct(StringComparer.Ordinal)];
        var signals = options.Signals;
        if (signals.Queue)
        {
            AddSignal("queue", () => Math.Min(1, (double)Volatile.Read(ref _unacknowledged) / signals.QueueCapacity));
        }

        if (signals.Memory && context.Memory.LimitBytes > 0)
        {
            AddSignal("memory", () => Math.Min(1, (double)context.Memory.InFlightBytes / context.Memory.LimitBytes));
        }

        if (signals.Breaker)
        {
            _breaker = new CircuitBreaker(signals.BreakerOptions, $"{context.Id}.downstream", context.TimeProvider, context.Logger, context.Meter);
            AddSignal("breaker", () => _breaker.State switch
            {
                CircuitState.Closed => 0,
                CircuitState.HalfOpen => 0.5,
                _ => 1,
            });
        }

        if (signals.Cpu)
        {
            AddSignal("cpu", ReadCpu);
        }
    }

    /// <inheritdoc />
    public override IReadOnlyList<string> OutputPorts => _ports;

    /// <inheritdoc />
    public override bool MutatesData => _options.Levels.Any(l => l.DropAttributes.Count > 0);

    /// <summary>The level controller: its level, load and changes.</summary>
    public DegradationController Controller { get; }

    /// <summary>The breaker fed by downstream acknowledgements, when that signal is on.</summary>
    public CircuitBreaker? DownstreamBreaker => _breaker;

    /// <summary>The signal readings of the last evaluation, by name.</summary>
    public IReadOnlyDictionary<string, double> LastReadings { get; private set; } = new Dictionary<string, double>();

    /// <summary>
    /// Adds a load signal (0 to 1) read at every interval, for a host that knows of a load this
    /// operator cannot see (another component's queue, a remote quota). Add signals before start.
    /// </summary>
    public void AddSignal(string name, Func<double> read)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(read);
        _signals.Add((name, read));
    }

    /// <summary>Reads every signal and lets the controller move at most one level. The interval timer calls it.</summary>
    public int Evaluate()
    {
        var readings = new Dictionary<string, double>(_signals.Count, StringComparer.Ordinal);
        var load = 0.0;
        foreach (var (name, read) in _signals)
        {
            var value = Math.Clamp(read(), 0, 1);
            readings[name] = value;
            load = Math.Max(load, value);
        }

        LastReadings = readings;
        return Controller.Update(load);
    }

    /// <summary>Starts the interval timer.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        using (var process = Process.GetCurrentProcess())
        {
            _lastCpu = process.TotalProcessorTime;
        }

        _lastCpuAt = Context.TimeProvider.GetTimestamp();
        if (_options.Signals.Load)
        {
            // Resolved at start, not when built: validation builds the operator without the coordination services.
            var signal = ResolveLoadSignal();
            AddSignal(DegradationSignalOptions.LoadSignalName, signal.Read);
        }

        _timer = Context.TimeProvider.CreateTimer(static state => ((DegradationOperator)state!).Evaluate(), this, _options.Interval, _options.Interval);
        return Task.CompletedTask;
    }

    /// <summary>Applies the current level's actions and sends the rest on, watching its acknowledgement.</summary>
    public override async ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var level = Controller.Current;
        var port = IOperatorOutput.DefaultPort;
        var payload = batch.Payload;
        var items = batch.ItemCount;
        if (level is not null)
        {
            if (level.DropSignals.Contains(batch.Signal))
            {
                await output.DropAsync(batch, SignalReason, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (level.SampleRatio is { } ratio && ratio < 1 && batch.Signal != Signal.Metrics)
            {
                payload = Sample(batch, ratio, out var kept);
                if (kept == 0)
                {
                    await output.DropAsync(batch, SampledReason, cancellationToken).ConfigureAwait(false);
                    return;
                }

                output.CountDropped(items - kept, SampledReason);
                items = kept;
            }

            if (level.DropAttributes.Count > 0)
            {
                DropAttributes(payload, level.DropAttributes);
            }

            port = level.Route ?? port;
        }

        await SendWatchedAsync(batch, payload, port, output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the timer and the breaker.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        _breaker?.Dispose();
        Controller.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask SendWatchedAsync(TelemetryBatch batch, IMessage payload, string port, IOperatorOutput output, CancellationToken cancellationToken)
    {
        if (_breaker is null && !_options.Signals.Queue)
        {
            await output.EmitAsync(port, ReferenceEquals(payload, batch.Payload) ? batch : batch.Derive(payload), cancellationToken).ConfigureAwait(false);
            return;
        }

        // Its breaker and queue signal learn from the outcome of each batch sent, which reaches the
        // batch's clients as well.
        var permit = _breaker?.Acquire() ?? default;
        Interlocked.Increment(ref _unacknowledged);
        var watched = batch.Observed(
            result =>
            {
                Interlocked.Decrement(ref _unacknowledged);
                if (result.Succeeded)
                {
                    _breaker?.RecordSuccess(permit);
                }
                else
                {
                    _breaker?.RecordFailure(permit);
                }
            },
            ReferenceEquals(payload, batch.Payload) ? null : payload);

        // The downstream breaker only watches: data still flows when it is open (it is a signal, and
        // the levels decide what to shed), so a rejected permit is simply not reported back.
        await output.EmitAsync(port, watched, cancellationToken).ConfigureAwait(false);
    }

    private static IMessage Sample(TelemetryBatch batch, double ratio, out int kept)
    {
        // Consistent by trace id, so that a trace is kept or dropped whole across batches and
        // collectors; log records without a trace id are sampled by their timestamp.
        var threshold = (ulong)(ratio * (1UL << 56));
        var decisions = new bool[batch.ItemCount];
        var i = 0;
        kept = 0;
        if (batch.Traces is { } traces)
        {
            foreach (var rs in traces.ResourceSpans)
            {
                foreach (var ss in rs.ScopeSpans)
                {
                    foreach (var span in ss.Spans)
                    {
                        kept += (decisions[i++] = Keep(span.TraceId, 0, threshold)) ? 1 : 0;
                    }
                }
            }

            return OtlpBatching.Select(traces, (ReadOnlySpan<bool>)decisions, true);
        }

        var logs = batch.Logs!;
        foreach (var rl in logs.ResourceLogs)
        {
            foreach (var sl in rl.ScopeLogs)
            {
                foreach (var log in sl.LogRecords)
                {
                    kept += (decisions[i++] = Keep(log.TraceId, log.TimeUnixNano, threshold)) ? 1 : 0;
                }
            }
        }

        return OtlpBatching.Select(logs, (ReadOnlySpan<bool>)decisions, true);
    }

    private static bool Keep(ByteString traceId, ulong fallback, ulong threshold)
    {
        var randomness = traceId.Length == 16
            ? BinaryPrimitives.ReadUInt64BigEndian(traceId.Span[8..]) & ((1UL << 56) - 1)
            : (fallback * 0x9E3779B97F4A7C15UL) >> 8;
        return randomness < threshold;
    }

    private static void DropAttributes(IMessage payload, List<string> keys)
    {
        switch (payload)
        {
            case OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest traces:
                foreach (var rs in traces.ResourceSpans)
                {
                    Remove(rs.Resource?.Attributes, keys);
                    foreach (var ss in rs.ScopeSpans)
                    {
                        foreach (var span in ss.Spans)
                        {
                            Remove(span.Attributes, keys);
                            foreach (var e in span.Events)
                            {
                                Remove(e.Attributes, keys);
                            }
                        }
                    }
                }

                break;
            case OpenTelemetry.Proto.Collector.Logs.V1.ExportLogsServiceRequest logs:
                foreach (var rl in logs.ResourceLogs)
                {
                    Remove(rl.Resource?.Attributes, keys);
                    foreach (var sl in rl.ScopeLogs)
                    {
                        foreach (var log in sl.LogRecords)
                        {
                            Remove(log.Attributes, keys);
                        }
                    }
                }

                break;
            case OpenTelemetry.Proto.Collector.Metrics.V1.ExportMetricsServiceRequest metrics:
                foreach (var rm in metrics.ResourceMetrics)
                {
                    Remove(rm.Resource?.Attributes, keys);
                }

                break;
        }
    }

    private static void Remove(RepeatedField<KeyValue>? attributes, List<string> keys)
    {
        if (attributes is null)
        {
            return;
        }

        for (var i = attributes.Count - 1; i >= 0; i--)
        {
            if (keys.Contains(attributes[i].Key))
            {
                attributes.RemoveAt(i);
            }
        }
    }

    private IDegradationSignal ResolveLoadSignal()
    {
        var found = Context.Services is Microsoft.Extensions.DependencyInjection.IKeyedServiceProvider keyed
            ? keyed.GetKeyedService(typeof(IDegradationSignal), DegradationSignalOptions.LoadSignalName) as IDegradationSignal
            : null;
        return found ?? throw new InvalidOperationException(
            $"operator '{Context.Id}': 'signals.load' reads the load monitor of the pipeline's 'coordination' section, and there is none; " +
            "add a \"coordination\": { \"etcd\": ... } section, or turn 'signals.load' off");
    }

    private double ReadCpu()
    {
        var now = Context.TimeProvider.GetTimestamp();
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var wall = Context.TimeProvider.GetElapsedTime(_lastCpuAt, now);
        var used = cpu - _lastCpu;
        _lastCpu = cpu;
        _lastCpuAt = now;
        return wall <= TimeSpan.Zero ? 0 : used / wall / Environment.ProcessorCount;
    }
}
