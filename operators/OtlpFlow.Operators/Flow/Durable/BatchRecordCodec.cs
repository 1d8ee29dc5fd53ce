using System.Text;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// The on-disk form of one batch, shared by the spill buffer and the durable queue: signal, context
/// (tenant, metadata, receive time) and the export request's protobuf bytes. The acknowledgement
/// never goes to disk; whoever reads a record back attaches the share it holds (or none).
/// </summary>
internal static class BatchRecordCodec
{
    /// <summary>The record's bytes, without any framing.</summary>
    public static byte[] Encode(TelemetryBatch batch)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write((byte)batch.Signal);
            writer.Write(batch.Context.Tenant is not null);
            writer.Write(batch.Context.Tenant ?? string.Empty);
            writer.Write(batch.Context.ReceivedAt.UtcTicks);
            writer.Write(batch.Context.Metadata.Count);
            foreach (var (key, value) in batch.Context.Metadata)
            {
                writer.Write(key);
                writer.Write(value);
            }

            writer.Flush();
            if (batch.TryGetEncoded(out var encoded))
            {
                // Still encoded: written as it is, without building its objects.
                foreach (var segment in encoded)
                {
                    stream.Write(segment.Span);
                }
            }
            else
            {
                batch.Payload.WriteTo(stream);
            }
        }

        return stream.ToArray();
    }

    /// <summary>Reads a record written by <see cref="Encode"/> back into a batch holding <paramref name="share"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a record.</exception>
    public static TelemetryBatch Decode(byte[] record, Acknowledgement share)
    {
        try
        {
            using var stream = new MemoryStream(record, writable: false);
            using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            var signal = (Signal)reader.ReadByte();
            var hasTenant = reader.ReadBoolean();
            var tenant = reader.ReadString();
            var received = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero);
            var count = reader.ReadInt32();
            var metadata = new Dictionary<string, string>(count, StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                metadata[reader.ReadString()] = reader.ReadString();
            }

            var payload = record.AsSpan((int)stream.Position);
            IMessage message = signal switch
            {
                Signal.Traces => ExportTraceServiceRequest.Parser.ParseFrom(payload),
                Signal.Metrics => ExportMetricsServiceRequest.Parser.ParseFrom(payload),
                Signal.Logs => ExportLogsServiceRequest.Parser.ParseFrom(payload),
                _ => throw new InvalidDataException($"unknown signal {(byte)signal}"),
            };
            return TelemetryBatch.Create(message, new BatchContext(hasTenant ? tenant : null, metadata, received), share, payload.Length);
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidProtocolBufferException)
        {
            throw new InvalidDataException("a queued record is damaged: " + ex.Message, ex);
        }
    }
}
