using System.Buffers;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtlpFlow.Engine.Telemetry;

/// <summary>
/// An export request held as its protobuf encoding until somebody reads the objects. Batches that
/// share the data (<see cref="TelemetryBatch.WithContext"/>, a fan-out without a copy) share one
/// instance, so the request is decoded once; after that the bytes are dropped, because the objects
/// may change.
/// </summary>
internal sealed class EncodedPayload(Signal signal, ReadOnlySequence<byte> encoded, RentedSegments? rented = null)
{
    private readonly Lock _lock = new();
    private ReadOnlySequence<byte> _encoded = encoded;
    private volatile IMessage? _message;
    /// <summary>The pooled segments under the bytes, shared with copies of this payload; null for bytes nobody gives back.</summary>
    public RentedSegments? Rented => rented;

    /// <summary>The request's objects, decoded on the first call.</summary>
    public IMessage Message => _message ?? Decode();

    public bool TryGetBytes(out ReadOnlySequence<byte> encoded)
    {
        lock (_lock)
        {
            encoded = _encoded;
            if (_message is not null)
            {
                return false;
            }

            ThrowIfReturned();
            return true;
        }
    }

    /// <summary>
    /// Another holder of the same (immutable) bytes, which decodes its own objects: for a fan-out to
    /// an operator that changes data. Null once decoded (then the objects must be cloned).
    /// </summary>
    public EncodedPayload? TryCopy()
    {
        lock (_lock)
        {
            // The copy reads the same segments: its batches count among their holders.
            return _message is null ? new EncodedPayload(signal, _encoded, rented) : null;
        }
    }

    private void ThrowIfReturned()
    {
        if (rented?.IsReturned == true)
        {
            throw new ObjectDisposedException(nameof(TelemetryBatch),
                "This batch's encoded bytes went back to the pool when its acknowledgement share was settled. " +
                "An operator that keeps a batch past the call that received it takes a share first (batch.Ack.AddShare()), " +
                "or reads batch.Payload before the share is settled.");
        }
    }

    private IMessage Decode()
    {
        lock (_lock)
        {
            if (_message is { } decoded)
            {
                return decoded;
            }

            ThrowIfReturned();

            IMessage message = signal switch
            {
                Signal.Traces => ExportTraceServiceRequest.Parser.ParseFrom(_encoded),
                Signal.Metrics => ExportMetricsServiceRequest.Parser.ParseFrom(_encoded),
                Signal.Logs => ExportLogsServiceRequest.Parser.ParseFrom(_encoded),
                _ => throw new InvalidOperationException($"Unknown signal {signal}."),
            };
            _message = message;
            _encoded = default;
            return message;
        }
    }
}

/// <summary>
/// Segments rented from the pool of <see cref="SegmentedBytes"/> for one encoded request, counted
/// by the batches that hold them (each until its acknowledgement share is settled); the last one
/// gives them back. A batch is finished once its share is settled, so the bytes go back as soon as
/// the last operator holding the batch is done with it, not when the whole request is answered.
/// </summary>
internal sealed class RentedSegments(IReadOnlyList<byte[]> segments)
{
    private int _holders;
    private int _returned;

    public bool IsReturned => Volatile.Read(ref _returned) != 0;

    /// <summary>A batch now holds the segments until <paramref name="share"/> is settled.</summary>
    public void HoldUntilSettled(Acknowledgement share)
    {
        Interlocked.Increment(ref _holders);
        share.WhenSettled(Drop);
    }

    private void Drop()
    {
        if (Interlocked.Decrement(ref _holders) == 0 && Interlocked.Exchange(ref _returned, 1) == 0)
        {
            SegmentedBytes.Return(segments);
        }
    }
}
