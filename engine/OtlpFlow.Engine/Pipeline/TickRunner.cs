using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Engine.Pipeline;

/// <summary>
/// Runs one processor's ticks: every <see cref="ProcessorOperator.TickInterval"/> and when the
/// operator asks (<c>RequestTick</c>), each in the operator's turn (never during a call), with its
/// emissions sent after the turn and before the next tick. Used for an operator of the pipeline and
/// for a nested stage, whose emissions leave through its parent's ports.
/// </summary>
internal sealed class TickRunner
{
    private readonly OperatorNode _node;
    private readonly ProcessorOperator _processor;
    private readonly SemaphoreSlim _turn;
    private readonly CancellationTokenSource _stop;
    private readonly Lock _lock = new();
    private CancellationTokenSource? _wake;
    private long _requestedAt = long.MaxValue;
    private long _waitingUntil = long.MaxValue;
    private Task _loop = Task.CompletedTask;
    private int _stopped;

    private TickRunner(OperatorNode node, ProcessorOperator processor, SemaphoreSlim turn, CancellationToken abortToken)
    {
        _node = node;
        _processor = processor;
        _turn = turn;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(abortToken);
    }

    /// <summary>Starts ticking <paramref name="processor"/>; its emissions go out through <paramref name="node"/>.</summary>
    public static TickRunner Start(OperatorNode node, ProcessorOperator processor, SemaphoreSlim turn, CancellationToken abortToken)
    {
        var runner = new TickRunner(node, processor, turn, abortToken);
        processor.OnTickRequested(runner.Request);

        // The first periodic tick counts from the start, read here and not on the loop's thread,
        // which may run later (a fake clock moved meanwhile would push every tick back).
        var started = processor.Context.TimeProvider.GetTimestamp();
        runner._loop = Task.Run(() => runner.LoopAsync(started, abortToken), CancellationToken.None);
        return runner;
    }

    /// <summary>Stops the ticks and waits for a running one (and its sends) to end.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            _processor.OnTickRequested(null);
            await _stop.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
            _stop.Dispose();
            return;
        }

        await _loop.ConfigureAwait(false);
    }

    private void Request(TimeSpan dueIn)
    {
        var time = _processor.Context.TimeProvider;
        var due = time.GetTimestamp() + (long)(dueIn.TotalSeconds * time.TimestampFrequency);
        CancellationTokenSource? wake = null;
        lock (_lock)
        {
            if (due < _requestedAt)
            {
                _requestedAt = due;
                if (due < _waitingUntil)
                {
                    wake = _wake;
                }
            }
        }

        try
        {
            wake?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // That wait already ended.
        }
    }

    private async Task LoopAsync(long started, CancellationToken abortToken)
    {
        var stop = _stop.Token;
        var time = _processor.Context.TimeProvider;
        var interval = _processor.TickInterval;
        var every = interval > TimeSpan.Zero ? (long)(interval.TotalSeconds * time.TimestampFrequency) : long.MaxValue;
        var nextPeriodic = every == long.MaxValue ? long.MaxValue : started + every;

        // A tick's emissions are recorded and sent after its turn ends, before the next tick: while
        // they wait for room downstream, ProcessAsync goes on taking input.
        var call = new OperatorNode.BufferedCall(_node, buffered: true);
        while (!stop.IsCancellationRequested)
        {
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(stop);
            TimeSpan wait;
            long due;
            lock (_lock)
            {
                due = Math.Min(nextPeriodic, _requestedAt);
                var now = time.GetTimestamp();
                wait = due == long.MaxValue ? Timeout.InfiniteTimeSpan
                    : due <= now ? TimeSpan.Zero
                    : TimeSpan.FromMilliseconds(Math.Ceiling((due - now) * 1000.0 / time.TimestampFrequency)); // whole ms: Task.Delay truncates
                _waitingUntil = due;
                _wake = wake;
            }

            if (wait != TimeSpan.Zero)
            {
                try
                {
                    // A timer counts from when it is made: should the clock have passed the due time
                    // between the reading above and now (a fake clock moved by a test), go at once.
                    var delay = Task.Delay(wait, time, wake.Token);
                    if (due != long.MaxValue && time.GetTimestamp() >= due)
                    {
                        await wake.CancelAsync().ConfigureAwait(false);
                    }

                    await delay.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Stopped, or woken for an earlier tick: the loop looks again.
                    continue;
                }
                finally
                {
                    lock (_lock)
                    {
                        _wake = null;
                        _waitingUntil = long.MaxValue;
                    }
                }
            }

            lock (_lock)
            {
                var now = time.GetTimestamp();
                if (Math.Min(nextPeriodic, _requestedAt) > now)
                {
                    continue; // the clock was read early; wait the rest
                }

                _requestedAt = long.MaxValue;
                if (nextPeriodic <= now)
                {
                    nextPeriodic = now + every;
                }
            }

            try
            {
                await _turn.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Exception? error = null;
            try
            {
                await _processor.TickAsync(call.For(null), abortToken).ConfigureAwait(false);
            }
            catch (OperatorFaultException ex)
            {
                error = ex;
                _node.Fault(ex);
                return;
            }
            catch (OperationCanceledException ex) when (abortToken.IsCancellationRequested)
            {
                error = ex;
                return;
            }
            catch (Exception ex)
            {
                error = ex;
                _node.TickFailed(_processor.Context.Id, ex);
            }
            finally
            {
                call.Finish(error);
                _turn.Release();
            }

            await call.ReplayAsync(abortToken).ConfigureAwait(false);
        }
    }
}
