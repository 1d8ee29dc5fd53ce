using System.Collections.Concurrent;
using Google.Protobuf;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Otlp.Tests.Support;

/// <summary>
/// What a <c>test.probe</c> sink saw, shared with the test by name. It can be paused: a paused
/// probe holds the batch it is writing until resumed, which stalls the graph behind it.
/// </summary>
internal sealed class Probe
{
    private static readonly ConcurrentDictionary<string, Probe> ByName = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly List<TelemetryBatch> _batches = [];
    private readonly List<(int Items, TaskCompletionSource Done)> _waiters = [];
    private TaskCompletionSource _resumed = CompletedSource();
    private TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _items;

    private Probe(string name) => Name = name;

    public string Name { get; }

    public static Probe Create()
    {
        var probe = new Probe("probe-" + Guid.NewGuid().ToString("N"));
        ByName[probe.Name] = probe;
        return probe;
    }

    public static Probe Get(string name) => ByName[name];

    public IReadOnlyList<TelemetryBatch> Batches
    {
        get
        {
            lock (_lock)
            {
                return [.. _batches];
            }
        }
    }

    public int Items => Volatile.Read(ref _items);

    public IEnumerable<T> Payloads<T>() where T : IMessage => Batches.Select(b => b.Payload).OfType<T>();

    /// <summary>From now on, batches wait in the sink until <see cref="Resume"/>.</summary>
    public void Pause()
    {
        lock (_lock)
        {
            _resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Resume()
    {
        lock (_lock)
        {
            _resumed.TrySetResult();
        }
    }

    /// <summary>Completes once a batch is being held by a paused probe.</summary>
    public Task Holding
    {
        get
        {
            lock (_lock)
            {
                return _holding.Task;
            }
        }
    }

    public Task WaitForItemsAsync(int items)
    {
        lock (_lock)
        {
            if (_items >= items)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((items, done));
            return done.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    internal async ValueTask WriteAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        Task resumed;
        lock (_lock)
        {
            resumed = _resumed.Task;
            if (!resumed.IsCompleted)
            {
                _holding.TrySetResult();
            }
        }

        // A pipeline aborted at its drain deadline cancels the wait, so a failed test never hangs.
        await resumed.WaitAsync(cancellationToken);

        // Kept past the write (whose share the engine settles then): its objects are read now, since
        // an encoded batch's pooled bytes go back to the pool once its share is settled.
        _ = batch.Payload;
        lock (_lock)
        {
            _batches.Add(batch);
            _items += batch.ItemCount;
            foreach (var waiter in _waiters.Where(w => w.Items <= _items).ToList())
            {
                waiter.Done.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    private static TaskCompletionSource CompletedSource()
    {
        var source = new TaskCompletionSource();
        source.SetResult();
        return source;
    }
}
