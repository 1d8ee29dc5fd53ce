using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Operators.Arrow.Encoding;

namespace OtlpFlow.Operators.Arrow.Tests.Encoding;

public sealed class DictionaryTests
{
    private static ExportTraceServiceRequest Spans(params string[] names)
    {
        var scope = new ScopeSpans();
        foreach (var name in names)
        {
            scope.Spans.Add(new Span { Name = name, Attributes = { new KeyValue { Key = "name", Value = new AnyValue { StringValue = name } } } });
        }

        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { scope } } } };
    }

    [Fact]
    public void Dictionaries_grow_by_deltas_and_reset_on_overflow_and_the_sequence_round_trips()
    {
        // Names hold "", "a", "b" after the first message: a limit of 4 entries lets the second
        // message add "c" as a delta, and the third starts with a reset.
        var encoder = new OtlpArrowEncoder(new ArrowEncoderOptions { DictionaryMaxEntries = 4 });
        var decoder = new OtlpArrowDecoder();
        var sequence = new[] { Spans("a", "b"), Spans("a", "b", "c"), Spans("x", "y") };

        foreach (var request in sequence)
        {
            Assert.Equal(request, decoder.Decode(encoder.Encode(request)));
        }

        Assert.Equal(1, encoder.DictionaryResets);
    }

    [Fact]
    public void A_repeated_batch_carries_no_new_dictionary_entries()
    {
        var encoder = new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = ArrowCompression.None });
        var first = encoder.Encode(Spans("alpha", "beta", "gamma")).Bytes.Length;
        var second = encoder.Encode(Spans("alpha", "beta", "gamma")).Bytes.Length;
        Assert.True(second < first, $"the second message ({second} bytes) should omit the dictionary delta of the first ({first} bytes)");
    }

    [Fact]
    public void A_missing_message_is_reported_as_a_gap()
    {
        var encoder = new OtlpArrowEncoder();
        var decoder = new OtlpArrowDecoder();
        decoder.Decode(encoder.Encode(Spans("a")));
        _ = encoder.Encode(Spans("b"));
        var third = encoder.Encode(Spans("c"));
        var error = Assert.Throws<ArrowStreamGapException>(() => decoder.Decode(third));
        Assert.Contains("message 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_of_another_stream_is_reported_as_a_gap()
    {
        var decoder = new OtlpArrowDecoder();
        decoder.Decode(new OtlpArrowEncoder().Encode(Spans("a")));
        Assert.Throws<ArrowStreamGapException>(() => decoder.Decode(new OtlpArrowEncoder().Encode(Spans("a"))));
    }

    [Fact]
    public void A_corrupt_message_is_reported_as_invalid_data()
    {
        var encoded = new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = ArrowCompression.None }).Encode(Spans("a", "b")).Bytes.ToArray();
        for (var i = 40; i < encoded.Length; i += 7)
        {
            encoded[i] ^= 0x5A;
        }

        Assert.ThrowsAny<InvalidDataException>(() => new OtlpArrowDecoder().Decode(encoded));
        Assert.Throws<InvalidDataException>(() => new OtlpArrowDecoder().Decode(new byte[] { 1, 2, 3 }));
    }

    [Theory]
    [InlineData(ArrowCompression.ZstdMessage)]
    [InlineData(ArrowCompression.ZstdStream)]
    public void A_corrupt_zstd_body_is_invalid_data_and_gives_its_buffer_back(ArrowCompression compression)
    {
        // The second half of the zstd data scrambled: the frame header (and a stream block's expanded
        // length) are whole, so the expanded buffer is allocated before the data is found corrupt.
        var encoded = new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = compression }).Encode(Spans("a", "b")).Bytes.ToArray();
        for (var i = (EncodedMessageFormat.HeaderSize + encoded.Length) / 2; i < encoded.Length; i++)
        {
            encoded[i] = (byte)(i * 37);
        }

        var allocator = new OtlpFlow.Operators.Arrow.Memory.TrackingMemoryAllocator();
        using var decoder = new OtlpArrowDecoder(allocator);
        Assert.ThrowsAny<InvalidDataException>(() => decoder.Decode(encoded));
        Assert.True(allocator.PeakBytes > 0, "the expanded buffer should have been allocated before the corruption was found");
        Assert.Equal(0, allocator.LiveBytes);
    }
}
