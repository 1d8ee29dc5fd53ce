using System.Buffers.Binary;
using Apache.Arrow;
using Apache.Arrow.Memory;
using Apache.Arrow.Types;
using Google.Protobuf;
using OtlpFlow.Operators.Arrow.Encoding;

namespace OtlpFlow.Operators.Arrow.Flight;

/// <summary>
/// What an OtlpFlow Flight stream carries: one record batch per OTLP batch, with the message's
/// sequence number and the encoded message (itself a set of Arrow IPC streams, see
/// <see cref="OtlpArrowEncoder"/>). A Flight stream has a single schema, while an encoded batch is
/// several tables, hence the envelope. The receiver answers each batch with a put result naming
/// its sequence number and whether it was delivered.
/// </summary>
internal static class FlightEnvelope
{
    public static Schema Schema { get; } = new Schema.Builder()
        .Field(f => f.Name("sequence").DataType(Int64Type.Default).Nullable(false))
        .Field(f => f.Name("message").DataType(BinaryType.Default).Nullable(false))
        .Build();

    public static RecordBatch Wrap(ArrowEncodedBatch encoded, MemoryAllocator allocator) =>
        new(Schema,
            [new Int64Array.Builder().Append(encoded.Sequence).Build(allocator), new BinaryArray.Builder().Append(encoded.Bytes.Span).Build(allocator)],
            1);

    /// <summary>The rows of an envelope: sequence numbers and messages, the messages pointing into the batch's memory.</summary>
    public static List<(long Sequence, ReadOnlyMemory<byte> Message)> Unwrap(RecordBatch batch)
    {
        var sequence = (Int64Array)batch.Column("sequence");
        var message = (BinaryArray)batch.Column("message");
        var offsets = message.ValueOffsets;
        var rows = new List<(long, ReadOnlyMemory<byte>)>(batch.Length);
        for (var i = 0; i < batch.Length; i++)
        {
            var start = offsets[i];
            rows.Add((sequence.GetValue(i) ?? 0, message.ValueBuffer.Memory.Slice(start, offsets[i + 1] - start)));
        }

        return rows;
    }

    /// <summary>An acknowledgement: [sequence: 8 bytes LE][0 delivered, 1 failed][error text, UTF-8].</summary>
    public static ByteString Ack(long sequence, string? error)
    {
        var text = error is null ? [] : System.Text.Encoding.UTF8.GetBytes(error);
        var bytes = new byte[9 + text.Length];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, sequence);
        bytes[8] = error is null ? (byte)0 : (byte)1;
        text.CopyTo(bytes, 9);
        return ByteString.CopyFrom(bytes);
    }

    public static (long Sequence, string? Error) ReadAck(ByteString ack)
    {
        var span = ack.Span;
        if (span.Length < 9)
        {
            throw new InvalidDataException($"A Flight acknowledgement of {span.Length} bytes is too short.");
        }

        return (BinaryPrimitives.ReadInt64LittleEndian(span), span[8] == 0 ? null : System.Text.Encoding.UTF8.GetString(span[9..]));
    }
}
