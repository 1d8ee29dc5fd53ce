using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Memory;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// Encodes OTLP export requests as Arrow record batches, one stream of messages at a time: a
/// root table per signal (spans, log records, metrics and their data points) with resource and
/// scope tables, attribute tables (typed values, placed by each parent's attribute shape; see
/// <see cref="AttributeShapes"/>), and event and link tables. Strings go through stream-level
/// dictionaries that persist across messages; each message carries only the new entries (a delta
/// table), and a dictionary over its limits is reset at the start of a message. Columns are built
/// in builders and scratch kept for the stream and written once into buffers rented from the
/// allocator for the message. Not thread-safe: one encoder per stream; dispose it to free its
/// zstd contexts at once.
/// </summary>
/// <remarks>
/// Dictionaries are kept at the application level, as a small table of their own, rather than as
/// Arrow dictionary batches: Apache.Arrow 23's stream writer writes a dictionary only once per
/// stream and its Flight reader rejects dictionary batches.
/// </remarks>
internal sealed partial class OtlpArrowEncoder : IDisposable
{
    private readonly MemoryAllocator _allocator;
    private readonly IpcOptions _ipc;
    private readonly ArrowCompression _compression;
    private readonly int _zstdLevel;
    private readonly StringDictionary _keys;
    private readonly KeyedStringDictionary _values;
    private readonly StringDictionary _names;
    private readonly StringDictionary _bodies;
    private readonly AttributeShapes _shapes = new();
    private readonly AttributeContext _attributes;
    private readonly ResourceScopeColumns _resources;
    private readonly List<(TableId, RecordBatch)> _tables = [];
    private readonly UnsignedColumn _deltaDictionary = new();
    private readonly UnsignedColumn _deltaKey = new();
    private readonly BinaryColumn _deltaValue = new(utf8: true);

    // The uncompressed message is written here, and compressed into _compressed; both are kept
    // for the stream's next message, and each message's result is copied out at its exact size.
    private MemoryStream _message = new();
    private byte[] _compressed = [];
    private long _sequence;
    private bool _disposed;

    // The zstd stream of ZstdStream compression, made at the first message; broken when a message
    // failed half-way through it, so that the next message restarts it (and says so).
    private ZstdSharp.Compressor? _zstdStream;
    private bool _zstdStreamBroken;

    // The compressor of ZstdMessage compression, one frame a message, kept for the stream.
    private ZstdSharp.Compressor? _zstdMessage;

    // Set when a message failed half-way: its new dictionary entries were never written, so the
    // next message starts every dictionary afresh.
    private bool _resetAll;

    /// <summary>Creates an encoder for one stream.</summary>
    /// <param name="options">Compression and dictionary limits; defaults when null.</param>
    /// <param name="allocator">Where the columns are built (a <see cref="OtlpFlow.Operators.Arrow.Memory.TrackingMemoryAllocator"/> to count them); a shared array pool when null.</param>
    /// <param name="streamId">The stream's id, written in every message; a new one when null.</param>
    public OtlpArrowEncoder(ArrowEncoderOptions? options = null, MemoryAllocator? allocator = null, Guid? streamId = null)
    {
        options ??= new ArrowEncoderOptions();
        options.Validate();
        _allocator = allocator ?? OtlpFlow.Operators.Arrow.Memory.PooledMemoryAllocator.Shared;
        _ipc = ArrowIpc.Options(options.Compression, options.CompressionLevel);
        _compression = options.Compression;
        _zstdLevel = options.CompressionLevel ?? 3;
        _keys = new StringDictionary(options.DictionaryMaxEntries, options.DictionaryMaxChars);
        _values = new KeyedStringDictionary(options.DictionaryMaxEntries, options.DictionaryMaxChars);
        _names = new StringDictionary(options.DictionaryMaxEntries, options.DictionaryMaxChars);
        _bodies = new StringDictionary(options.DictionaryMaxEntries, options.DictionaryMaxChars);
        _attributes = new AttributeContext(_keys, _values, _shapes);
        _resources = new ResourceScopeColumns(_attributes, _names);
        StreamId = streamId ?? Guid.NewGuid();
    }

    /// <summary>The id of the stream this encoder writes.</summary>
    public Guid StreamId { get; }

    /// <summary>Messages encoded so far.</summary>
    public long MessageCount => _sequence;

    /// <summary>Dictionary resets so far (each dictionary counts separately).</summary>
    public long DictionaryResets { get; private set; }

    /// <summary>Encodes one export request as the next message of the stream.</summary>
    /// <exception cref="ArgumentException">The message is not an OTLP export request.</exception>
    public ArrowEncodedBatch Encode(IMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var signal = request switch
        {
            ExportTraceServiceRequest => Signal.Traces,
            ExportLogsServiceRequest => Signal.Logs,
            ExportMetricsServiceRequest => Signal.Metrics,
            _ => throw new ArgumentException($"'{request.GetType().Name}' is not an OTLP export request.", nameof(request)),
        };

        byte resetMask = 0;
        // The value dictionaries are kept per key index, so a reset of the keys resets them too.
        if (_keys.ResetIfFull(_resetAll)) resetMask |= 1 << (int)DictionaryId.Keys;
        if (_values.ResetIfFull(_resetAll || resetMask != 0)) resetMask |= 1 << (int)DictionaryId.Values;
        if (_names.ResetIfFull(_resetAll)) resetMask |= 1 << (int)DictionaryId.Names;
        if (_bodies.ResetIfFull(_resetAll)) resetMask |= 1 << (int)DictionaryId.Bodies;
        _resetAll = false;
        DictionaryResets += System.Numerics.BitOperations.PopCount(resetMask);

        var tables = _tables;
        tables.Clear();
        using var buffers = new MessageBuffers(_allocator);
        try
        {
            _resources.Clear();
            _shapes.Clear();
            var items = request switch
            {
                ExportTraceServiceRequest t => EncodeTraces(t, buffers, tables),
                ExportLogsServiceRequest l => EncodeLogs(l, buffers, tables),
                _ => EncodeMetrics((ExportMetricsServiceRequest)request, buffers, tables),
            };
            _resources.Build(buffers, tables);
            if (_shapes.Used > 0)
            {
                tables.Add((TableId.AttributeShapes, _shapes.Build(buffers)));
            }

            var stream = StartMessage();
            using (var delta = BuildDictionaryDelta(buffers))
            {
                if (delta is not null)
                {
                    WriteSection(stream, TableId.Dictionary, delta);
                }
            }

            foreach (var (id, table) in tables)
            {
                WriteSection(stream, id, table);
            }

            var body = new ReadOnlySpan<byte>(stream.GetBuffer(), 0, (int)stream.Length);
            byte flags = 0;
            byte[] bytes;
            if (_compression == ArrowCompression.ZstdMessage)
            {
                bytes = CompressBody(body);
                flags = EncodedMessageFormat.ZstdMessageFlag;
            }
            else if (_compression == ArrowCompression.ZstdStream)
            {
                bytes = CompressStreamBlock(body, out var restarted);
                flags = (byte)(EncodedMessageFormat.ZstdStreamFlag | (restarted ? EncodedMessageFormat.ZstdStreamResetFlag : 0));
            }
            else
            {
                bytes = body.ToArray();
            }

            // The sequence number is spent only on a message that is returned.
            var sequence = _sequence++;
            EncodedMessageFormat.WriteHeader(bytes, (byte)signal, resetMask, flags, sequence, StreamId);
            return new ArrowEncodedBatch(signal, StreamId, sequence, items, bytes);
        }
        catch
        {
            _resetAll = true;
            throw;
        }
        finally
        {
            foreach (var (_, table) in tables)
            {
                table.Dispose();
            }

            tables.Clear();
        }
    }

    /// <summary>Releases the stream's zstd contexts (native memory that would otherwise wait for a finalizer).</summary>
    public void Dispose()
    {
        _disposed = true;
        _zstdStream?.Dispose();
        _zstdMessage?.Dispose();
        _zstdStream = null;
        _zstdMessage = null;
    }

    /// <summary>The stream's message buffer, emptied, positioned after the header.</summary>
    private MemoryStream StartMessage()
    {
        if (_message.Capacity > 16 * 1024 * 1024)
        {
            _message = new MemoryStream();
        }

        _message.SetLength(EncodedMessageFormat.HeaderSize);
        _message.Position = EncodedMessageFormat.HeaderSize;
        return _message;
    }

    private RecordBatch? BuildDictionaryDelta(MessageBuffers buffers)
    {
        var count = _keys.Pending.Count + _values.Pending.Count + _names.Pending.Count + _bodies.Pending.Count;
        if (count == 0)
        {
            return null;
        }

        // A row per new entry: its dictionary, the key it belongs to (values only, else 0) and the string.
        _deltaDictionary.Clear();
        _deltaKey.Clear();
        _deltaValue.Clear();
        Add(DictionaryId.Keys, _keys);
        foreach (var (key, value) in _values.Pending)
        {
            _deltaDictionary.Append((byte)DictionaryId.Values);
            _deltaKey.Append(key);
            _deltaValue.Append(value);
        }

        _values.ClearPending();
        Add(DictionaryId.Names, _names);
        Add(DictionaryId.Bodies, _bodies);
        return new TableBuilder(buffers)
            .Add("dictionary", _deltaDictionary)
            .Add("key", _deltaKey)
            .Add("value", _deltaValue)
            .Build(count);

        void Add(DictionaryId id, StringDictionary dictionary)
        {
            foreach (var entry in dictionary.Pending)
            {
                _deltaDictionary.Append((byte)id);
                _deltaKey.Append(0);
                _deltaValue.Append(entry);
            }

            dictionary.ClearPending();
        }
    }

    private void WriteSection(MemoryStream stream, TableId id, RecordBatch table)
    {
        var start = stream.Position;
        stream.Position = start + EncodedMessageFormat.SectionHeaderSize;
        using (var writer = new ArrowStreamWriter(stream, table.Schema, leaveOpen: true, _ipc, _allocator))
        {
            writer.WriteRecordBatch(table);
            writer.WriteEnd();
        }

        var end = stream.Position;
        var buffer = stream.GetBuffer();
        buffer[start] = (byte)id;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan((int)start + 1), (int)(end - start - EncodedMessageFormat.SectionHeaderSize));
    }

    /// <summary>A buffer of at least <paramref name="length"/> bytes for compressed output, kept for the stream.</summary>
    private byte[] CompressionScratch(int length)
    {
        if (_compressed.Length < length || _compressed.Length > 4 * Math.Max(length, 64 * 1024))
        {
            _compressed = new byte[length];
        }

        return _compressed;
    }

    private byte[] CompressBody(ReadOnlySpan<byte> message)
    {
        var zstd = _zstdMessage ??= new ZstdSharp.Compressor(_zstdLevel);
        var body = message[EncodedMessageFormat.HeaderSize..];
        var output = CompressionScratch(EncodedMessageFormat.HeaderSize + ZstdSharp.Compressor.GetCompressBound(body.Length));
        var written = zstd.Wrap(body, output.AsSpan(EncodedMessageFormat.HeaderSize));
        return output.AsSpan(0, EncodedMessageFormat.HeaderSize + written).ToArray();
    }

    /// <summary>
    /// The message body as the next flushed block of the stream's zstd stream, after the expanded
    /// length (4 bytes); <paramref name="restarted"/> says the zstd stream started afresh here.
    /// </summary>
    private byte[] CompressStreamBlock(ReadOnlySpan<byte> message, out bool restarted)
    {
        restarted = _zstdStream is null || _zstdStreamBroken;
        if (_zstdStream is null)
        {
            _zstdStream = new ZstdSharp.Compressor(_zstdLevel);
        }
        else if (_zstdStreamBroken)
        {
            _zstdStream.ResetStream();
        }

        _zstdStreamBroken = true;
        var input = message[EncodedMessageFormat.HeaderSize..];
        const int prefix = EncodedMessageFormat.HeaderSize + 4;
        var output = CompressionScratch(prefix + ZstdSharp.Compressor.GetCompressBound(input.Length));
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(output.AsSpan(EncodedMessageFormat.HeaderSize), input.Length);
        var written = prefix;
        while (!input.IsEmpty)
        {
            _zstdStream.WrapStream(input, output.AsSpan(written), out var consumed, out var produced, false);
            input = input[consumed..];
            written += produced;
            if (consumed == 0 && produced == 0)
            {
                System.Array.Resize(ref output, output.Length * 2);
                _compressed = output;
            }
        }

        while (true)
        {
            var status = _zstdStream.FlushStream(output.AsSpan(written), out var produced);
            written += produced;
            if (status == System.Buffers.OperationStatus.Done)
            {
                break;
            }

            System.Array.Resize(ref output, output.Length * 2);
            _compressed = output;
        }

        _zstdStreamBroken = false;
        return output.AsSpan(0, written).ToArray();
    }

    /// <summary>Wrapping difference of two unsigned timestamps, so that any value round-trips.</summary>
    private static long Delta(ulong value, ulong previous) => unchecked((long)(value - previous));
}
