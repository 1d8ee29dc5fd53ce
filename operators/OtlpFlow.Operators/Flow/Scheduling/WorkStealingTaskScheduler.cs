using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Operators.Flow.Scheduling;

/// <summary>
/// A <see cref="TaskScheduler"/> with one dedicated thread per core, each with its own deque. A task
/// queued from a worker goes to that worker's deque and is run newest first (its data is still in
/// cache); other tasks go to a shared queue; an idle worker takes from the shared queue and then
/// steals the oldest task of another worker. Any operator can run on it with
/// <c>"scheduler": "workStealing"</c>.
/// </summary>
/// <remarks>
/// The deques are guarded by a lock each rather than being lock-free: tasks here carry whole
/// batches, so a lock per task is small next to the work, and the code stays easy to trust.
/// </remarks>
[Scheduler("workStealing")]
public sealed class WorkStealingTaskScheduler : TaskScheduler, IDisposable
{
    [ThreadStatic]
    private static Worker? _current;

    private readonly Worker[] _workers;
    private readonly Queue<Task> _shared = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private long _stolen;

    /// <summary>Creates a scheduler with one worker per processor (the one a pipeline's <c>"scheduler"</c> key makes).</summary>
    [Microsoft.Extensions.DependencyInjection.ActivatorUtilitiesConstructor]
    public WorkStealingTaskScheduler() : this(Environment.ProcessorCount) { }

    /// <summary>Creates a scheduler with <paramref name="workers"/> worker threads.</summary>
    public WorkStealingTaskScheduler(int workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        _workers = new Worker[workers];
        for (var i = 0; i < workers; i++)
        {
            _workers[i] = new Worker(this, i);
        }

        foreach (var worker in _workers)
        {
            worker.Thread.Start();
        }
    }

    /// <inheritdoc />
    public override int MaximumConcurrencyLevel => _workers.Length;

    /// <summary>Tasks a worker took from another worker's deque.</summary>
    public long StolenCount => Interlocked.Read(ref _stolen);

    /// <summary>Stops the worker threads; tasks still queued are not run.</summary>
    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        _stop.Cancel();
        _signal.Release(_workers.Length);
        foreach (var worker in _workers)
        {
            if (worker.Thread != Thread.CurrentThread)
            {
                worker.Thread.Join();
            }
        }

        _signal.Dispose();
        _stop.Dispose();
    }

    /// <inheritdoc />
    protected override void QueueTask(Task task)
    {
        if (_current is { } worker && worker.Owner == this)
        {
            lock (worker.Deque)
            {
                worker.Deque.AddLast(task);
            }
        }
        else
        {
            lock (_shared)
            {
                _shared.Enqueue(task);
            }
        }

        _signal.Release();
    }

    /// <inheritdoc />
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        // Inline only on our own workers, and only tasks not sitting in some deque (they would run twice).
        _current?.Owner == this && !taskWasPreviouslyQueued && TryExecuteTask(task);

    /// <inheritdoc />
    protected override IEnumerable<Task> GetScheduledTasks()
    {
        var tasks = new List<Task>();
        lock (_shared)
        {
            tasks.AddRange(_shared);
        }

        foreach (var worker in _workers)
        {
            lock (worker.Deque)
            {
                tasks.AddRange(worker.Deque);
            }
        }

        return tasks;
    }

    private Task? Next(Worker self)
    {
        lock (self.Deque)
        {
            if (self.Deque.Last is { } newest)
            {
                self.Deque.RemoveLast();
                return newest.Value;
            }
        }

        lock (_shared)
        {
            if (_shared.TryDequeue(out var task))
            {
                return task;
            }
        }

        for (var i = 1; i < _workers.Length; i++)
        {
            var victim = _workers[(self.Index + i) % _workers.Length];
            lock (victim.Deque)
            {
                if (victim.Deque.First is { } oldest)
                {
                    victim.Deque.RemoveFirst();
                    Interlocked.Increment(ref _stolen);
                    return oldest.Value;
                }
            }
        }

        return null;
    }

    private void Run(Worker self)
    {
        _current = self;
        try
        {
            while (true)
            {
                _signal.Wait(_stop.Token);
                // A signal stands for one queued task, but a worker may have run it already through
                // its own deque: take whatever there is, and go back to waiting when there is none.
                if (Next(self) is { } task)
                {
                    TryExecuteTask(task);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    private sealed class Worker
    {
        public Worker(WorkStealingTaskScheduler owner, int index)
        {
            Owner = owner;
            Index = index;
            Thread = new Thread(() => owner.Run(this)) { IsBackground = true, Name = $"otlpflow-worker-{index}" };
        }

        public WorkStealingTaskScheduler Owner { get; }

        public int Index { get; }

        public LinkedList<Task> Deque { get; } = new();

        public Thread Thread { get; }
    }
}
