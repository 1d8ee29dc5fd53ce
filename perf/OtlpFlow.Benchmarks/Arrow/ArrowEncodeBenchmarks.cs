using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Arrow.Encoding;

namespace OtlpFlow.Benchmarks.Arrow;

/// <summary>
/// Size and encode speed of a stream of 20 generated batches of 1000 items (stream mode: one
/// encoder for the whole stream, so dictionaries carry over between batches), against OTLP
/// protobuf with zstd at the same level (the baseline). Each method returns the bytes it
/// produced; the <c>Bytes/item</c> column reports them per span, data point or log record.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ArrowColumnsConfig))]
public class ArrowEncodeBenchmarks
{
    /// <summary>The zstd level of every compressed variant (zstd's default).</summary>
    public const int ZstdLevel = 3;

    private IMessage[] _requests = [];
    private ZstdSharp.Compressor _zstd = null!;

    /// <summary>The signal encoded.</summary>
    [Params(Signal.Traces, Signal.Logs, Signal.Metrics)]
    public Signal Signal { get; set; }

    /// <summary>Items (spans, points, records) encoded per operation.</summary>
    public static int ItemsPerOperation => GeneratedStream.Batches * GeneratedStream.BatchSize;

    /// <summary>Generates the stream once.</summary>
    [GlobalSetup]
    public async Task Setup()
    {
        _requests = await GeneratedStream.CreateAsync(Signal);
        _zstd = new ZstdSharp.Compressor(ZstdLevel);
    }

    /// <summary>Releases the compressor.</summary>
    [GlobalCleanup]
    public void Cleanup() => _zstd.Dispose();

    /// <summary>OTLP protobuf, each batch compressed with zstd: what an OTLP exporter sends.</summary>
    [Benchmark(Baseline = true)]
    public long OtlpProtobufZstd()
    {
        long bytes = 0;
        foreach (var request in _requests)
        {
            bytes += _zstd.Wrap(request.ToByteArray()).Length;
        }

        return bytes;
    }

    /// <summary>Arrow IPC with ZSTD body compression (each buffer compressed on its own).</summary>
    [Benchmark]
    public long ArrowIpcZstd() => Encode(ArrowCompression.Zstd);

    /// <summary>The encoder's <c>zstdMessage</c> mode: IPC buffers uncompressed, the whole message one zstd frame.</summary>
    [Benchmark]
    public long ArrowZstdMessage() => Encode(ArrowCompression.ZstdMessage);

    /// <summary>The encoder's <c>zstdStream</c> mode: one zstd stream through the whole stream, a flushed block a message.</summary>
    [Benchmark]
    public long ArrowZstdStream() => Encode(ArrowCompression.ZstdStream);

    /// <summary>Arrow IPC, uncompressed.</summary>
    [Benchmark]
    public long ArrowUncompressed() => Encode(ArrowCompression.None);

    private long Encode(ArrowCompression compression)
    {
        using var encoder = new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = compression, CompressionLevel = ZstdLevel });
        long bytes = 0;
        foreach (var request in _requests)
        {
            bytes += encoder.Encode(request).Bytes.Length;
        }

        return bytes;
    }
}
