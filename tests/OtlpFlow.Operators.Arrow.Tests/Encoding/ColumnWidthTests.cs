using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Arrow.Encoding;
using OtlpFlow.Operators.Arrow.Tests.Support;

namespace OtlpFlow.Operators.Arrow.Tests.Encoding;

/// <summary>
/// Integer columns are stored at the narrowest width their values fit, and the whole stream can
/// share one zstd stream: values on every width boundary, and mixed, must come back exact.
/// </summary>
public sealed class ColumnWidthTests
{
    // Each value on or next to a boundary of 8, 16, 32 and 64 bits, signed and unsigned.
    private static readonly ulong[] Boundaries =
    [
        0, 1, 127, 128, 255, 256, 32_767, 32_768, 65_535, 65_536, int.MaxValue, (ulong)int.MaxValue + 1,
        uint.MaxValue, (ulong)uint.MaxValue + 1, long.MaxValue, (ulong)long.MaxValue + 1, ulong.MaxValue,
    ];

    public static TheoryData<int> BoundaryIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Boundaries.Length; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BoundaryIndexes))]
    public void Columns_whose_values_all_sit_on_one_width_boundary_round_trip(int index)
    {
        var value = Boundaries[index];
        RoundTrip.AssertLossless(Traces([value, value, value]));
        RoundTrip.AssertLossless(Logs([value, value]));
        RoundTrip.AssertLossless(Metrics([value, value]));
    }

    [Fact]
    public void Columns_mixing_every_width_round_trip()
    {
        RoundTrip.AssertLossless(Traces(Boundaries));
        RoundTrip.AssertLossless(Logs(Boundaries));
        RoundTrip.AssertLossless(Metrics(Boundaries));
        RoundTrip.AssertLossless(Traces([.. Boundaries.Reverse()]));
    }

    public static TheoryData<double[]> DoubleSets() => new()
    {
        { [0.0, 1.0, -2.0, 42.0] },
        { [123.45, 0.05, -99.99, 5.0] },
        { [0.001, 1.234, 1_000_000.5, -7.125] },
        { [0.000001, 0.123456] },
        { [0.1, 0.2, 0.30000000000000004] },
        { [1e-7, 2.5] },
        { [-0.0, 1.5] },
        { [double.NaN, 1.5] },
        { [double.PositiveInfinity, double.NegativeInfinity] },
        { [9_007_199_254_740_992.0, 1.0] },
        { [4.9e-324, double.MaxValue, double.MinValue] },
        { [Math.PI, Math.E] },
    };

    [Theory]
    [MemberData(nameof(DoubleSets))]
    public void Doubles_round_trip_bit_for_bit_whether_or_not_they_are_short_decimals(double[] values)
    {
        var spans = new ScopeSpans();
        var gauge = new Gauge();
        var histogram = new Histogram { AggregationTemporality = AggregationTemporality.Delta };
        foreach (var v in values)
        {
            spans.Spans.Add(new Span
            {
                TraceId = ByteString.CopyFrom(new byte[16]),
                SpanId = ByteString.CopyFrom(BitConverter.GetBytes(v)),
                Attributes = { new KeyValue { Key = "d", Value = new AnyValue { DoubleValue = v } }, new KeyValue { Key = "i", Value = new AnyValue { IntValue = 1 } } },
            });
            gauge.DataPoints.Add(new NumberDataPoint { AsDouble = v });
            histogram.DataPoints.Add(new HistogramDataPoint { Count = 1, Sum = v, Min = v, Max = v, ExplicitBounds = { v } });
        }

        RoundTrip.AssertLossless(new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { spans } } } });
        RoundTrip.AssertLossless(new ExportMetricsServiceRequest
        {
            ResourceMetrics = { new ResourceMetrics { ScopeMetrics = { new ScopeMetrics { Metrics = { new Metric { Name = "g", Gauge = gauge }, new Metric { Name = "h", Histogram = histogram } } } } } },
        });
    }

    [Fact]
    public void Short_decimals_take_fewer_bytes_than_the_same_count_of_arbitrary_doubles()
    {
        static int Size(Func<int, double> value)
        {
            var gauge = new Gauge();
            for (var i = 0; i < 1000; i++)
            {
                gauge.DataPoints.Add(new NumberDataPoint { AsDouble = value(i) });
            }

            var request = new ExportMetricsServiceRequest { ResourceMetrics = { new ResourceMetrics { ScopeMetrics = { new ScopeMetrics { Metrics = { new Metric { Name = "g", Gauge = gauge } } } } } } };
            return new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = ArrowCompression.None }).Encode(request).Bytes.Length;
        }

        var random = new Random(3);
        var decimals = Size(_ => Math.Round(random.NextDouble() * 500, 2));
        var arbitrary = Size(_ => random.NextDouble() * 500);
        Assert.True(decimals < arbitrary - 2000, $"decimals {decimals} bytes, arbitrary doubles {arbitrary}");
    }

    [Fact]
    public async Task A_shared_zstd_stream_makes_later_messages_smaller_than_whole_message_frames()
    {
        var requests = await Generated.RequestsAsync(Signal.Traces, seed: 5, count: 10_000, batchSize: 1000);
        var perMessage = new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = ArrowCompression.ZstdMessage });
        var shared = new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = ArrowCompression.ZstdStream });
        var decoder = new OtlpArrowDecoder();
        long perMessageBytes = 0, sharedBytes = 0;
        foreach (var request in requests)
        {
            perMessageBytes += perMessage.Encode(request).Bytes.Length;
            var encoded = shared.Encode(request);
            sharedBytes += encoded.Bytes.Length;
            Assert.Equal(request, decoder.Decode(encoded));
        }

        Assert.True(sharedBytes < perMessageBytes, $"shared stream {sharedBytes} bytes, one frame a message {perMessageBytes}");
    }

    [Fact]
    public async Task A_shared_zstd_stream_cannot_be_read_out_of_order()
    {
        var requests = await Generated.RequestsAsync(Signal.Logs, seed: 6, count: 300, batchSize: 100);
        var encoder = new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = ArrowCompression.ZstdStream });
        var messages = requests.Select(encoder.Encode).ToArray();
        var decoder = new OtlpArrowDecoder();
        Assert.Equal(requests[0], decoder.Decode(messages[0]));
        Assert.Throws<ArrowStreamGapException>(() => decoder.Decode(messages[2]));
        Assert.Equal(requests[1], decoder.Decode(messages[1]));
        Assert.Equal(requests[2], decoder.Decode(messages[2]));
    }

    private static ExportTraceServiceRequest Traces(IReadOnlyList<ulong> values)
    {
        var spans = new ScopeSpans();
        for (var i = 0; i < values.Count; i++)
        {
            var v = values[i];
            var span = new Span
            {
                TraceId = ByteString.CopyFrom(BitConverter.GetBytes(v).Concat(BitConverter.GetBytes(~v)).ToArray()),
                SpanId = ByteString.CopyFrom(BitConverter.GetBytes(v)),
                Name = "s",
                StartTimeUnixNano = v,
                EndTimeUnixNano = ~v,
                Flags = (uint)v,
                DroppedAttributesCount = (uint)(v >> 32),
                DroppedEventsCount = (uint)v,
                DroppedLinksCount = (uint)(v >> 16),
                Attributes = { new KeyValue { Key = "i", Value = new AnyValue { IntValue = (long)v } } },
                Events = { new Span.Types.Event { Name = "e", TimeUnixNano = v, DroppedAttributesCount = (uint)v } },
            };
            spans.Spans.Add(span);
        }

        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { spans } } } };
    }

    private static ExportLogsServiceRequest Logs(IReadOnlyList<ulong> values)
    {
        var logs = new ScopeLogs();
        foreach (var v in values)
        {
            logs.LogRecords.Add(new LogRecord
            {
                TimeUnixNano = v,
                ObservedTimeUnixNano = ~v,
                SeverityNumber = SeverityNumber.Info,
                Flags = (uint)v,
                DroppedAttributesCount = (uint)(v >> 40),
                Body = new AnyValue { IntValue = (long)~v },
            });
        }

        return new ExportLogsServiceRequest { ResourceLogs = { new ResourceLogs { ScopeLogs = { logs } } } };
    }

    private static ExportMetricsServiceRequest Metrics(IReadOnlyList<ulong> values)
    {
        var sum = new Sum { AggregationTemporality = AggregationTemporality.Cumulative, IsMonotonic = true };
        var histogram = new Histogram { AggregationTemporality = AggregationTemporality.Delta };
        var exponential = new ExponentialHistogram { AggregationTemporality = AggregationTemporality.Delta };
        var summary = new Summary();
        foreach (var v in values)
        {
            sum.DataPoints.Add(new NumberDataPoint { StartTimeUnixNano = v, TimeUnixNano = ~v, AsInt = (long)v, Flags = (uint)v });
            histogram.DataPoints.Add(new HistogramDataPoint { StartTimeUnixNano = ~v, TimeUnixNano = v, Count = v, BucketCounts = { v, ~v }, ExplicitBounds = { 1.5 } });
            exponential.DataPoints.Add(new ExponentialHistogramDataPoint { TimeUnixNano = v, Count = ~v, Scale = (int)v, ZeroCount = v, Positive = new ExponentialHistogramDataPoint.Types.Buckets { Offset = (int)(v >> 3), BucketCounts = { v } } });
            summary.DataPoints.Add(new SummaryDataPoint { TimeUnixNano = v, Count = v, Sum = 1 });
        }

        var scope = new ScopeMetrics
        {
            Metrics =
            {
                new Metric { Name = "sum", Sum = sum },
                new Metric { Name = "histogram", Histogram = histogram },
                new Metric { Name = "exponential", ExponentialHistogram = exponential },
                new Metric { Name = "summary", Summary = summary },
            },
        };
        return new ExportMetricsServiceRequest { ResourceMetrics = { new ResourceMetrics { ScopeMetrics = { scope } } } };
    }
}
