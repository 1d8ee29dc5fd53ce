using Apache.Arrow;
using Apache.Arrow.Ipc;
using BenchmarkDotNet.Attributes;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Arrow.Encoding;

namespace OtlpFlow.Benchmarks.Arrow;

/// <summary>
/// Arrow IPC write and zero-copy read of the tables of one batch of 1000 generated spans
/// (uncompressed), against copying the same number of bytes with <see cref="Span{T}.CopyTo"/>
/// (the baseline: no serializer can write faster than memory copies). The <c>Rate</c> column is
/// in GB/s of IPC bytes.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ArrowColumnsConfig))]
public class ArrowIpcBenchmarks
{
    private RecordBatch[] _tables = [];
    private int[] _lengths = [];
    private byte[] _ipc = [];
    private byte[] _copy = [];
    private MemoryStream _sink = null!;

    /// <summary>IPC bytes written (and copied) per operation: the tables of one message.</summary>
    public static long BytesPerOperation => Measure().GetAwaiter().GetResult().Ipc.Length;

    /// <summary>Encodes one batch and keeps its tables as record batches that own their memory.</summary>
    [GlobalSetup]
    public async Task Setup()
    {
        (_tables, _lengths, _ipc) = await Measure();
        _copy = new byte[_ipc.Length];
        _sink = new MemoryStream(_ipc.Length * 2);
    }

    /// <summary>Releases the tables.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var table in _tables)
        {
            table.Dispose();
        }

        _sink.Dispose();
    }

    /// <summary>A plain copy of as many bytes as the IPC streams hold.</summary>
    [Benchmark(Baseline = true)]
    public int MemoryCopy()
    {
        _ipc.AsSpan().CopyTo(_copy);
        return _copy.Length;
    }

    /// <summary>Writes every table as an IPC stream into a reused buffer.</summary>
    [Benchmark]
    public long IpcWrite()
    {
        _sink.Position = 0;
        foreach (var table in _tables)
        {
            using var writer = new ArrowStreamWriter(_sink, table.Schema, leaveOpen: true);
            writer.WriteRecordBatch(table);
            writer.WriteEnd();
        }

        return _sink.Position;
    }

    /// <summary>Reads every table back from memory; the columns point into the buffer, nothing is copied.</summary>
    [Benchmark]
    public int IpcReadZeroCopy()
    {
        var rows = 0;
        var offset = 0;
        foreach (var length in _lengths)
        {
            using var reader = new ArrowStreamReader(new ReadOnlyMemory<byte>(_ipc, offset, length));
            using var batch = reader.ReadNextRecordBatch();
            rows += batch.Length;
            offset += length;
        }

        return rows;
    }

    private static async Task<(RecordBatch[] Tables, int[] Lengths, byte[] Ipc)> Measure()
    {
        var request = (await GeneratedStream.CreateAsync(Signal.Traces))[0];
        var message = new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = ArrowCompression.None }).Encode(request).Bytes;
        var tables = new List<RecordBatch>();
        var lengths = new List<int>();
        using var ipc = new MemoryStream();
        var offset = EncodedMessageFormat.HeaderSize;
        while (offset < message.Length)
        {
            var length = BitConverter.ToInt32(message.Span.Slice(offset + 1, 4));
            offset += EncodedMessageFormat.SectionHeaderSize;
            var section = message.Slice(offset, length);
            using (var reader = new ArrowStreamReader(section))
            {
                using var read = reader.ReadNextRecordBatch();
                tables.Add(read.Clone());
            }

            ipc.Write(section.Span);
            lengths.Add(length);
            offset += length;
        }

        return ([.. tables], [.. lengths], ipc.ToArray());
    }
}
