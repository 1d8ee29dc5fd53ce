using System.Buffers.Binary;
using Apache.Arrow.Ipc;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Operators.Arrow.Encoding;
using OtlpFlow.Operators.Arrow.Memory;

namespace OtlpFlow.Operators.Arrow.Tests.Encoding;

/// <summary>What a received message claims never sizes an allocation: claims beyond the limits are invalid data.</summary>
public sealed class DecoderLimitsTests
{
    private static ExportTraceServiceRequest Spans() =>
        new() { ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { new Span { Name = "a" } } } } } } };

    [Fact]
    public void A_zstd_stream_block_claiming_more_than_the_limit_is_refused_before_anything_is_allocated()
    {
        var message = new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = ArrowCompression.ZstdStream }).Encode(Spans()).Bytes.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(EncodedMessageFormat.HeaderSize), int.MaxValue - 64);
        var allocator = new TrackingMemoryAllocator();

        var error = Assert.Throws<InvalidDataException>(() => new OtlpArrowDecoder(allocator).Decode(message));
        Assert.Contains("the limit is", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, allocator.PeakBytes);
    }

    [Fact]
    public void A_message_within_a_lowered_limit_decodes_and_one_beyond_it_does_not()
    {
        var request = Spans();
        var message = new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = ArrowCompression.ZstdMessage }).Encode(request).Bytes;
        Assert.Equal(request, new OtlpArrowDecoder(maxExpandedBytes: 64 * 1024).Decode(message));
        Assert.Throws<InvalidDataException>(() => new OtlpArrowDecoder(maxExpandedBytes: 16).Decode(message));
    }

    [Fact]
    public void A_value_for_a_key_the_stream_does_not_have_is_invalid_data()
    {
        // A hand-made message whose dictionary delta holds one value, for key 1000000, and no keys.
        var allocator = new TrackingMemoryAllocator();
        using var buffers = new MessageBuffers(allocator);
        var dictionary = new UnsignedColumn();
        var key = new UnsignedColumn();
        var value = new BinaryColumn(utf8: true);
        dictionary.Append((byte)DictionaryId.Values);
        key.Append(1_000_000);
        value.Append("v");
        using var delta = new TableBuilder(buffers).Add("dictionary", dictionary).Add("key", key).Add("value", value).Build(1);

        var stream = new MemoryStream();
        stream.Write(new byte[EncodedMessageFormat.HeaderSize + EncodedMessageFormat.SectionHeaderSize]);
        using (var writer = new ArrowStreamWriter(stream, delta.Schema, leaveOpen: true))
        {
            writer.WriteRecordBatch(delta);
            writer.WriteEnd();
        }

        var message = stream.ToArray();
        EncodedMessageFormat.WriteHeader(message, (byte)OtlpFlow.Engine.Telemetry.Signal.Traces, 0, 0, 0, Guid.NewGuid());
        message[EncodedMessageFormat.HeaderSize] = (byte)TableId.Dictionary;
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(EncodedMessageFormat.HeaderSize + 1), message.Length - EncodedMessageFormat.HeaderSize - EncodedMessageFormat.SectionHeaderSize);

        var error = Assert.Throws<InvalidDataException>(() => new OtlpArrowDecoder().Decode(message));
        Assert.Contains("key 1000000", error.Message, StringComparison.Ordinal);
    }
}
