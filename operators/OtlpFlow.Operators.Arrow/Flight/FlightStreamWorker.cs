using System.Collections.Concurrent;
using Apache.Arrow.Flight;
using Apache.Arrow.Flight.Client;
using Grpc.Core;
using OtlpFlow.Operators.Arrow.Encoding;
using OtlpFlow.Operators.Arrow.Memory;

namespace OtlpFlow.Operators.Arrow.Flight;

/// <summary>
/// One long-lived DoPut stream of <c>arrow.flight.exporter</c> with its own encoder (and so its
/// own dictionaries). Used by one batch at a time; the acknowledgements come back on the
/// stream's response side and complete the batch waiting for them. Any error ends the stream and
/// its encoder together, and the next batch opens a new pair: a decoder can only follow an
/// encoder from the first message on.
/// </summary>
internal sealed class FlightStreamWorker : IAsyncDisposable
{
    private readonly FlightClient _client;
    private readonly ArrowEncoderOptions _encoderOptions;
    private readonly TrackingMemoryAllocator _memory;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<string?>> _pending = new();
    private OtlpArrowEncoder? _encoder;
    private FlightRecordBatchDuplexStreamingCall? _call;
    private Task? _responses;

    // Set when the response side ended, or a batch on the stream went unacknowledged too long: the
    // stream is dead or stuck, so the next send opens a new one rather than failing a batch on it first.
    private volatile bool _ended;

    // Counts the streams opened, so that a late timeout cannot end a newer stream than its own.
    private int _generation;

    public FlightStreamWorker(FlightClient client, ArrowEncoderOptions encoderOptions, TrackingMemoryAllocator memory)
    {
        _client = client;
        _encoderOptions = encoderOptions;
        _memory = memory;
    }

    /// <summary>Streams opened by this worker so far.</summary>
    public int StreamsOpened { get; private set; }

    /// <summary>
    /// Encodes and sends one request; returns a task that completes with null when the receiver
    /// acknowledged it as delivered, or with the receiver's error text.
    /// </summary>
    public async Task<(Task<string?> Ack, IDisposable Lease, int Stream)> SendAsync(Google.Protobuf.IMessage request, CancellationToken cancellationToken)
    {
        if (_ended)
        {
            await ResetAsync().ConfigureAwait(false);
        }

        if (_call is null || _encoder is null)
        {
            _encoder = new OtlpArrowEncoder(_encoderOptions, _memory);
            _call = await _client.StartPut(FlightDescriptor.CreatePathDescriptor("otlpflow", "otlp"), FlightEnvelope.Schema, null, null, CancellationToken.None).ConfigureAwait(false);
            _ended = false;
            _responses = ReadAcksAsync(_call);
            StreamsOpened++;
            Interlocked.Increment(ref _generation);
        }

        var encoded = _encoder.Encode(request);

        // The message stays in the pool's count until its acknowledgement.
        var lease = _memory.Reserve(encoded.Bytes.Length);
        var ack = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[encoded.Sequence] = ack;
        try
        {
            using var envelope = FlightEnvelope.Wrap(encoded, _memory);
            await _call.RequestStream.WriteAsync(envelope).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            lease.Dispose();
            _pending.TryRemove(encoded.Sequence, out _);
            await ResetAsync().ConfigureAwait(false);
            throw;
        }

        return (ack.Task, lease, Volatile.Read(ref _generation));
    }

    /// <summary>
    /// Gives up on stream <paramref name="stream"/> (a batch on it went unacknowledged too long):
    /// the next send ends it, failing what is still pending on it, and opens a new one. Does
    /// nothing when that stream was already replaced.
    /// </summary>
    public void Abandon(int stream)
    {
        if (stream == Volatile.Read(ref _generation))
        {
            _ended = true;
        }
    }

    /// <summary>Ends the stream (after a failure or timeout): pending batches fail, the next send opens a new stream.</summary>
    public async Task ResetAsync()
    {
        var call = _call;
        _call = null;
        _encoder = null;
        if (call is not null)
        {
            call.Dispose();
            if (_responses is not null)
            {
                await _responses.ConfigureAwait(false);
            }
        }

        FailPending("the Flight stream was reset");
    }

    /// <summary>Tells the receiver no more data comes and waits for the acknowledgements still due.</summary>
    public async Task CompleteAsync(TimeSpan timeout)
    {
        var call = _call;
        if (call is null)
        {
            return;
        }

        try
        {
            await call.RequestStream.CompleteAsync().WaitAsync(timeout).ConfigureAwait(false);
            if (_responses is not null)
            {
                await _responses.WaitAsync(timeout).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is TimeoutException or RpcException or InvalidOperationException)
        {
            // Whatever is still pending fails in ResetAsync.
        }

        await ResetAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await ResetAsync().ConfigureAwait(false);

    private async Task ReadAcksAsync(FlightRecordBatchDuplexStreamingCall call)
    {
        string reason = "the receiver ended the Flight stream";
        try
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
            {
                var (sequence, error) = FlightEnvelope.ReadAck(call.ResponseStream.Current.ApplicationMetadata);
                if (_pending.TryRemove(sequence, out var ack))
                {
                    ack.TrySetResult(error);
                }
            }
        }
        catch (Exception ex) when (ex is RpcException or InvalidDataException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            reason = "the Flight stream failed: " + ex.Message;
        }

        _ended = true;
        FailPending(reason);
    }

    private void FailPending(string reason)
    {
        foreach (var sequence in _pending.Keys)
        {
            if (_pending.TryRemove(sequence, out var ack))
            {
                ack.TrySetResult(reason);
            }
        }
    }
}
