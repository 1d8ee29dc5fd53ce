using System.Buffers;
using Apache.Arrow.Memory;

namespace OtlpFlow.Operators.Arrow.Memory;

/// <summary>
/// An Arrow <see cref="MemoryAllocator"/> that counts the bytes it has handed out and not yet
/// had back (live bytes), plus any bytes reserved for buffers outside Arrow (encoded messages in
/// flight). It never refuses an allocation: the limit is honoured by callers that await
/// <see cref="WaitForRoomAsync"/> before taking more work, which is how backpressure reaches them.
/// </summary>
public sealed class TrackingMemoryAllocator : MemoryAllocator
{
    private readonly MemoryAllocator _inner;
    private readonly object _gate = new();
    private TaskCompletionSource? _room;
    private long _live;
    private long _peak;

    /// <summary>Creates an allocator.</summary>
    /// <param name="limit">Live bytes above which <see cref="WaitForRoomAsync"/> waits; <see cref="long.MaxValue"/> for none.</param>
    internal TrackingMemoryAllocator(long limit = long.MaxValue)
        : base(DefaultAlignment)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Limit = limit;
        _inner = new PooledMemoryAllocator();
    }

    /// <summary>The live-byte limit that <see cref="WaitForRoomAsync"/> honours.</summary>
    public long Limit { get; }

    /// <summary>Bytes allocated or reserved and not yet released.</summary>
    public long LiveBytes => Interlocked.Read(ref _live);

    /// <summary>The most live bytes seen at once.</summary>
    public long PeakBytes => Interlocked.Read(ref _peak);

    /// <summary>Completes at once while live bytes are under the limit, otherwise when enough is released.</summary>
    internal Task WaitForRoomAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (LiveBytes < Limit)
            {
                return Task.CompletedTask;
            }

            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _room.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Counts <paramref name="bytes"/> of memory held outside Arrow until the lease is disposed.</summary>
    internal IDisposable Reserve(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Add(bytes);
        return new Lease(this, bytes);
    }

    /// <inheritdoc />
    protected override IMemoryOwner<byte> AllocateInternal(int length, out int bytesAllocated)
    {
        var owner = _inner.Allocate(length);
        bytesAllocated = length;
        Add(length);
        return new TrackedOwner(this, owner, length);
    }

    private void Add(long bytes)
    {
        var live = Interlocked.Add(ref _live, bytes);
        long peak;
        while (live > (peak = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, live, peak) != peak)
        {
        }
    }

    private void Release(long bytes)
    {
        var live = Interlocked.Add(ref _live, -bytes);
        if (live >= Limit)
        {
            return;
        }

        TaskCompletionSource? room;
        lock (_gate)
        {
            room = _room;
            _room = null;
        }

        room?.TrySetResult();
    }

    private sealed class Lease(TrackingMemoryAllocator owner, long bytes) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Release(bytes);
            }
        }
    }

    private sealed class TrackedOwner(TrackingMemoryAllocator allocator, IMemoryOwner<byte> inner, int length) : IMemoryOwner<byte>
    {
        private int _disposed;

        public Memory<byte> Memory => inner.Memory;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                inner.Dispose();
                allocator.Release(length);
            }
        }
    }
}
