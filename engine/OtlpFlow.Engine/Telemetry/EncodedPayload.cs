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
internal sealed class EncodedPayload(Signal signal, ReadOnlySequence<byte> encoded)
{
    private readonly Lock _lock = new();
    private ReadOnlySequence<byte> _encoded = encoded;
    private volatile IMessage? _message;

    /// <summary>True while no one has read the objects.</summary>
    public bool IsEncoded => _message is null;

    /// <summary>The request's objects, decoded on the first call.</summary>
    public IMessage Message => _message ?? Decode();

    public bool TryGetBytes(out ReadOnlySequence<byte> encoded)
    {
        lock (_lock)
        {
            encoded = _encoded;
            return _message is null;
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
            return _message is null ? new EncodedPayload(signal, _encoded) : null;
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
