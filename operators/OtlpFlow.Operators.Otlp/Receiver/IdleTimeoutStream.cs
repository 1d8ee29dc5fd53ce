namespace OtlpFlow.Operators.Otlp.Receiver;

/// <summary>A request body that sent nothing for the receiver's <c>bodyIdleTimeout</c>.</summary>
internal sealed class BodyIdleException(TimeSpan timeout)
    : IOException($"no bytes of the request arrived for {timeout.TotalSeconds:0.###}s (bodyIdleTimeout); retry later")
{
}

/// <summary>
/// A request body whose every read must bring bytes within a timeout, else throws
/// <see cref="BodyIdleException"/>. It stands in for the web server's minimum data rate, which on
/// HTTP/2 ends the whole connection (every request on it, without an answer a client can act on);
/// this one ends only the request that stalled, and the receiver answers it.
/// </summary>
internal sealed class IdleTimeoutStream(Stream inner, TimeSpan timeout, TimeProvider time) : Stream
{
    private readonly CancellationTokenSource _idle = new(Timeout.InfiniteTimeSpan, time);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _idle.CancelAfter(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _idle.Token);
        try
        {
            return await inner.ReadAsync(buffer, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new BodyIdleException(timeout);
        }
        finally
        {
            if (!_idle.IsCancellationRequested)
            {
                _idle.CancelAfter(Timeout.InfiniteTimeSpan);
            }
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("request bodies are read asynchronously");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _idle.Dispose();
        }

        base.Dispose(disposing);
    }
}
