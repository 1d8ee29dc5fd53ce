using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Arrow.Encoding;

namespace OtlpFlow.Benchmarks.Arrow;

/// <summary>
/// Decode speed of the stream of <see cref="ArrowEncodeBenchmarks"/> (20 generated batches of 1000
/// items, one encoder for the whole stream), against what an OTLP receiver does with the same
/// batches: zstd decompression and a protobuf parse (the baseline). The inputs are made once in
/// setup; each method decodes every message in order with a fresh decoder, as a receiver of the
/// stream would, and returns a count taken from the decoded requests. The <c>Bytes/item</c> column
/// reports the size of the input per span, data point or log record.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ArrowColumnsConfig))]
public class ArrowDecodeBenchmarks
{
    private byte[][] _otlpZstd = [];
    private byte[][] _arrowZstdStream = [];
    private byte[][] _arrowZstdMessage = [];
    private byte[][] _arrowUncompressed = [];
    private MessageParser _parser = null!;
    private ZstdSharp.Decompressor _zstd = null!;

    /// <summary>The signal decoded.</summary>
    [Params(Signal.Traces, Signal.Logs, Signal.Metrics)]
    public Signal Signal { get; set; }

    /// <summary>Items (spans, points, records) decoded per operation.</summary>
    public static int ItemsPerOperation => ArrowEncodeBenchmarks.ItemsPerOperation;

    /// <summary>Generates the stream once and encodes it in every form decoded.</summary>
    [GlobalSetup]
    public async Task Setup()
    {
        var requests = await GeneratedStream.CreateAsync(Signal);
        _parser = Signal switch
        {
            Signal.Traces => ExportTraceServiceRequest.Parser,
            Signal.Logs => ExportLogsServiceRequest.Parser,
            _ => ExportMetricsServiceRequest.Parser,
        };
        using (var compressor = new ZstdSharp.Compressor(ArrowEncodeBenchmarks.ZstdLevel))
        {
            _otlpZstd = requests.Select(r => compressor.Wrap(r.ToByteArray()).ToArray()).ToArray();
        }

        _arrowZstdStream = Encode(requests, ArrowCompression.ZstdStream);
        _arrowZstdMessage = Encode(requests, ArrowCompression.ZstdMessage);
        _arrowUncompressed = Encode(requests, ArrowCompression.None);
        _zstd = new ZstdSharp.Decompressor();
    }

    /// <summary>Releases the decompressor.</summary>
    [GlobalCleanup]
    public void Cleanup() => _zstd.Dispose();

    /// <summary>
    /// Bytes of the input of the benchmark method called <paramref name="method"/> (one of this
    /// class's benchmarks), after <see cref="Setup"/>.
    /// </summary>
    public long InputBytes(string method) => method switch
    {
        nameof(OtlpProtobufZstd) => _otlpZstd.Sum(m => (long)m.Length),
        nameof(ArrowZstdStream) => _arrowZstdStream.Sum(m => (long)m.Length),
        nameof(ArrowZstdMessage) => _arrowZstdMessage.Sum(m => (long)m.Length),
        nameof(ArrowUncompressed) => _arrowUncompressed.Sum(m => (long)m.Length),
        _ => throw new ArgumentException($"No benchmark method '{method}'.", nameof(method)),
    };

    /// <summary>OTLP protobuf, each batch a zstd frame: what an OTLP receiver decompresses and parses.</summary>
    [Benchmark(Baseline = true)]
    public long OtlpProtobufZstd()
    {
        long items = 0;
        foreach (var frame in _otlpZstd)
        {
            items += Count(_parser.ParseFrom(_zstd.Unwrap(frame)));
        }

        return items;
    }

    /// <summary>The encoder's <c>zstdStream</c> mode (the default): one zstd stream through the whole stream.</summary>
    [Benchmark]
    public long ArrowZstdStream() => Decode(_arrowZstdStream);

    /// <summary>The encoder's <c>zstdMessage</c> mode: each message one zstd frame.</summary>
    [Benchmark]
    public long ArrowZstdMessage() => Decode(_arrowZstdMessage);

    /// <summary>Arrow IPC, uncompressed: the columns are read where they lie in the message.</summary>
    [Benchmark]
    public long ArrowUncompressed() => Decode(_arrowUncompressed);

    private static byte[][] Encode(IMessage[] requests, ArrowCompression compression)
    {
        var encoder = new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = compression, CompressionLevel = ArrowEncodeBenchmarks.ZstdLevel });
        return requests.Select(r => encoder.Encode(r).Bytes.ToArray()).ToArray();
    }

    private static long Decode(byte[][] messages)
    {
        using var decoder = new OtlpArrowDecoder();
        long items = 0;
        foreach (var message in messages)
        {
            items += Count(decoder.Decode(message));
        }

        return items;
    }

    /// <summary>Items of a decoded request: cheap, but depends on the whole result.</summary>
    private static long Count(IMessage request)
    {
        long items = 0;
        switch (request)
        {
            case ExportTraceServiceRequest traces:
                foreach (var resource in traces.ResourceSpans)
                {
                    foreach (var scope in resource.ScopeSpans)
                    {
                        items += scope.Spans.Count;
                    }
                }

                break;
            case ExportLogsServiceRequest logs:
                foreach (var resource in logs.ResourceLogs)
                {
                    foreach (var scope in resource.ScopeLogs)
                    {
                        items += scope.LogRecords.Count;
                    }
                }

                break;
            case ExportMetricsServiceRequest metrics:
                foreach (var resource in metrics.ResourceMetrics)
                {
                    foreach (var scope in resource.ScopeMetrics)
                    {
                        foreach (var metric in scope.Metrics)
                        {
                            items += metric.DataCase switch
                            {
                                OpenTelemetry.Proto.Metrics.V1.Metric.DataOneofCase.Gauge => metric.Gauge.DataPoints.Count,
                                OpenTelemetry.Proto.Metrics.V1.Metric.DataOneofCase.Sum => metric.Sum.DataPoints.Count,
                                OpenTelemetry.Proto.Metrics.V1.Metric.DataOneofCase.Histogram => metric.Histogram.DataPoints.Count,
                                OpenTelemetry.Proto.Metrics.V1.Metric.DataOneofCase.ExponentialHistogram => metric.ExponentialHistogram.DataPoints.Count,
                                OpenTelemetry.Proto.Metrics.V1.Metric.DataOneofCase.Summary => metric.Summary.DataPoints.Count,
                                _ => 0,
                            };
                        }
                    }
                }

                break;
        }

        return items;
    }
}
