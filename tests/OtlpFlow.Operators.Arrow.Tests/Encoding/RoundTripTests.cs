using Google.Protobuf;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Arrow.Encoding;
using OtlpFlow.Operators.Arrow.Memory;
using OtlpFlow.Operators.Arrow.Tests.Support;

namespace OtlpFlow.Operators.Arrow.Tests.Encoding;

public sealed class RoundTripTests
{
    public static TheoryData<Signal, int, ArrowCompression> Cases()
    {
        var data = new TheoryData<Signal, int, ArrowCompression>();
        foreach (var signal in new[] { Signal.Traces, Signal.Metrics, Signal.Logs })
        {
            data.Add(signal, 1, ArrowCompression.Zstd);
            data.Add(signal, 7, ArrowCompression.Lz4);
            data.Add(signal, 42, ArrowCompression.None);
            data.Add(signal, 1234, ArrowCompression.ZstdMessage);
            data.Add(signal, 99, ArrowCompression.ZstdStream);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Generated_data_round_trips_losslessly_across_a_stream(Signal signal, int seed, ArrowCompression compression)
    {
        var requests = await Generated.RequestsAsync(signal, seed, count: 5000, batchSize: 500);
        var allocator = new TrackingMemoryAllocator();
        var encoder = new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = compression }, allocator);
        var decoder = new OtlpArrowDecoder(allocator);

        foreach (var request in requests)
        {
            var encoded = encoder.Encode(request);
            var decoded = decoder.Decode(encoded);
            Assert.Equal(request, decoded);
            Assert.Equal(OtlpItemsOf(request), encoded.ItemCount);
        }

        Assert.Equal(0, allocator.LiveBytes);
    }

    private static int OtlpItemsOf(IMessage request) => TelemetryBatch.Create(request).ItemCount;
}
