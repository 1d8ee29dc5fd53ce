using Apache.Arrow;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Operators.Arrow.Encoding;
using OtlpFlow.Operators.Arrow.Memory;

namespace OtlpFlow.Operators.Arrow.Tests.Encoding;

/// <summary>Attribute shapes (a parent's key sequence, numbered) and the value dictionaries kept per key.</summary>
public sealed class AttributeShapeTests
{
    private static KeyValue Str(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static ExportTraceServiceRequest Request(IEnumerable<Span> spans)
    {
        var scope = new ScopeSpans();
        scope.Spans.Add(spans);
        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { scope } } } };
    }

    [Fact]
    public void Each_key_numbers_its_own_values()
    {
        var dictionary = new KeyedStringDictionary(100, 1000);
        Assert.Equal(0u, dictionary.IndexOf(0, "x"));
        Assert.Equal(0u, dictionary.IndexOf(1, "y"));
        Assert.Equal(1u, dictionary.IndexOf(1, "x"));
        Assert.Equal(0u, dictionary.IndexOf(0, new string("x".ToCharArray())));
        Assert.Equal(3, dictionary.Pending.Count);
        Assert.Equal((1u, "x"), dictionary.Pending[2]);
    }

    [Fact]
    public void Parents_with_different_key_sequences_and_shared_values_round_trip()
    {
        // Four shapes (one repeated in another order), an empty list, and one string under two keys.
        var spans = new List<Span>();
        for (var i = 0; i < 40; i++)
        {
            var span = new Span { Name = "s" + (i % 3) };
            switch (i % 5)
            {
                case 0: span.Attributes.Add([Str("a", "x"), Str("b", "x")]); break;
                case 1: span.Attributes.Add([Str("b", "x" + i), Str("a", "y")]); break;
                case 2: span.Attributes.Add(Str("a", "z")); break;
                case 3: break;
                default: span.Attributes.Add([Str("a", "x"), Str("a", "x"), new KeyValue { Key = "n", Value = new AnyValue { IntValue = i } }]); break;
            }

            spans.Add(span);
        }

        var encoder = new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = ArrowCompression.None });
        var decoder = new OtlpArrowDecoder();
        for (var message = 0; message < 3; message++)
        {
            var request = Request(spans.Skip(message * 7));
            Assert.Equal(request, decoder.Decode(encoder.Encode(request)));
        }
    }

    [Fact]
    public void A_reset_of_the_keys_resets_the_value_dictionaries_and_the_stream_round_trips()
    {
        // Four keys fill a 4-entry key dictionary, so the second message starts with a reset.
        var encoder = new OtlpArrowEncoder(new ArrowEncoderOptions { DictionaryMaxEntries = 4, Compression = ArrowCompression.None });
        var decoder = new OtlpArrowDecoder();
        var first = Request([new Span { Attributes = { Str("k1", "v"), Str("k2", "v"), Str("k3", "v"), Str("k4", "w") } }]);
        var second = Request([new Span { Attributes = { Str("k9", "v") } }]);

        Assert.Equal(first, decoder.Decode(encoder.Encode(first)));
        var encoded = encoder.Encode(second);
        var resetMask = EncodedMessageFormat.ReadHeader(encoded.Bytes.Span).ResetMask;
        Assert.NotEqual(0, resetMask & (1 << (int)DictionaryId.Keys));
        Assert.NotEqual(0, resetMask & (1 << (int)DictionaryId.Values));
        Assert.Equal(second, decoder.Decode(encoded));
    }

    [Fact]
    public void More_shapes_than_the_encoder_keeps_round_trip_across_messages()
    {
        // 3 x 2500 spans with a key sequence each: the encoder forgets its numbers past 4096 shapes,
        // so the third message numbers its shapes afresh.
        var encoder = new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = ArrowCompression.ZstdStream });
        var decoder = new OtlpArrowDecoder();
        for (var message = 0; message < 3; message++)
        {
            var spans = Enumerable.Range(0, 2500).Select(i => new Span
            {
                Name = "op",
                Attributes = { Str($"key{(message * 2500) + i}", "v"), Str("common", i.ToString(System.Globalization.CultureInfo.InvariantCulture)) },
            });
            var request = Request(spans);
            Assert.Equal(request, decoder.Decode(encoder.Encode(request)));
        }
    }

    [Fact]
    public async Task Corrupted_messages_give_invalid_data_or_a_request_and_give_their_memory_back()
    {
        // Random bytes flipped in uncompressed messages (shape tables, shape columns, value tables
        // and all): each decode either succeeds or says the data is invalid, never anything else.
        var request = (await Support.Generated.RequestsAsync(OtlpFlow.Engine.Telemetry.Signal.Traces, seed: 5, count: 200, batchSize: 200))[0];
        var allocator = new TrackingMemoryAllocator();
        var message = new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = ArrowCompression.None }, allocator).Encode(request).Bytes.ToArray();
        var random = new Random(20);
        var invalid = 0;
        for (var attempt = 0; attempt < 300; attempt++)
        {
            var corrupt = (byte[])message.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                corrupt[random.Next(EncodedMessageFormat.HeaderSize, corrupt.Length)] ^= (byte)random.Next(1, 256);
            }

            using var decoder = new OtlpArrowDecoder(allocator);
            try
            {
                decoder.Decode(corrupt);
            }
            catch (InvalidDataException)
            {
                invalid++;
            }
        }

        Assert.True(invalid > 0, "some corruptions should have been detected");
        Assert.Equal(0, allocator.LiveBytes);
    }

    [Fact]
    public void Attribute_rows_must_be_added_for_every_parent_in_order()
    {
        var table = new AttributeTable();
        var context = new AttributeContext(new StringDictionary(10, 100), new KeyedStringDictionary(10, 100), new AttributeShapes());
        table.Add(0, [], context);
        Assert.Throws<InvalidOperationException>(() => table.Add(2, [Str("a", "b")], context));
    }

    [Fact]
    public void A_shape_the_shape_table_lacks_or_a_value_count_that_does_not_match_is_invalid_data()
    {
        var allocator = new TrackingMemoryAllocator();
        using var buffers = new MessageBuffers(allocator);
        var keys = new StringDictionaryReader();
        keys.Append("a");
        var reader = new AttributeReader(keys, new KeyedStringDictionaryReader(), new ReadScratch());

        // Shape 1 is the key sequence [a].
        var shapeColumn = new UnsignedColumn();
        var keyColumn = new UnsignedColumn();
        shapeColumn.Append(1);
        keyColumn.Append(0);
        reader.Load(new TableBuilder(buffers).Add("shape", shapeColumn).Add("key", keyColumn).Build(1));

        var unknown = Owner(buffers, 2);
        var error = Assert.Throws<InvalidDataException>(() => reader.Read(null, unknown, new[] { new Span() }, static s => s.Attributes));
        Assert.Contains("shape 2", error.Message, StringComparison.Ordinal);

        // Two parents of shape 1 call for two values; the table has none.
        Assert.Throws<InvalidDataException>(() => reader.Read(null, Owner(buffers, 1, 1), new[] { new Span(), new Span() }, static s => s.Attributes));
    }

    private static RecordBatch Owner(MessageBuffers buffers, params ulong[] shapes)
    {
        var column = new UnsignedColumn();
        foreach (var shape in shapes)
        {
            column.Append(shape);
        }

        return new TableBuilder(buffers).Add("attributes_shape", column).Build(shapes.Length);
    }
}
