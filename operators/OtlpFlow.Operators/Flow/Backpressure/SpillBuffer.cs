using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// A first-in first-out queue of batches on disk, in segment files, that never holds more than its
/// byte budget on disk: a record is written only if it fits, and a segment file is deleted as soon
/// as it has been read through. The acknowledgement shares stay in memory (they are small) next to
/// the records. Not thread-safe: the owner serialises calls.
/// </summary>
internal sealed class SpillBuffer : IDisposable
{
    private readonly string _directory;
    private readonly bool _ownsDirectory;
    private readonly long _budget;
    private readonly long _segmentSize;
    private readonly Queue<Segment> _segments = new();
    private readonly Queue<Acknowledgement> _shares = new();
    private FileStream? _reader;
    private long _bytesOnDisk;
    private int _nextSegment;

    public SpillBuffer(string? directory, long budget)
    {
        _ownsDirectory = directory is null;
        _directory = directory ?? Path.Combine(Path.GetTempPath(), "otlpflow-spill-" + Guid.NewGuid().ToString("N"));
        _budget = budget;

        // Several segments per budget, so that reading frees disk space well before the whole spill is replayed.
        _segmentSize = Math.Max(4096, budget / 8);
    }

    /// <summary>Batches waiting on disk.</summary>
    public int Count => _shares.Count;

    /// <summary>Bytes in spill files now.</summary>
    public long BytesOnDisk => _bytesOnDisk;

    /// <summary>Writes a batch if it fits in the budget; the share it keeps is the batch's own (or none when settled on spill).</summary>
    public bool TryWrite(TelemetryBatch batch, bool settle)
    {
        var record = Encode(batch);
        if (_bytesOnDisk + record.Length > _budget)
        {
            return false;
        }

        if (_segments.Count == 0 || _segments.Last().Length >= _segmentSize)
        {
            Directory.CreateDirectory(_directory);
            var path = Path.Combine(_directory, $"spill-{_nextSegment++:D6}.bin");
            _segments.Enqueue(new Segment(path, new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete)));
        }

        var segment = _segments.Last();
        segment.Writer!.Write(record);
        segment.Writer.Flush();
        segment.Length += record.Length;
        segment.Records++;
        _bytesOnDisk += record.Length;
        if (settle)
        {
            batch.Ack.Deliver();
            _shares.Enqueue(Acknowledgement.None);
        }
        else
        {
            _shares.Enqueue(batch.Ack);
        }

        return true;
    }

    /// <summary>Reads the oldest batch back, with its share.</summary>
    public TelemetryBatch Read()
    {
        var segment = _segments.Peek();
        _reader ??= new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var batch = Decode(_reader, _shares.Dequeue());
        segment.Read++;
        if (segment.Read == segment.Records && (_segments.Count > 1 || segment.Length >= _segmentSize || _shares.Count == 0))
        {
            // Read through: the file goes, and with it its share of the budget.
            _reader.Dispose();
            _reader = null;
            segment.Writer?.Dispose();
            File.Delete(segment.Path);
            _bytesOnDisk -= segment.Length;
            _segments.Dequeue();
        }

        return batch;
    }

    /// <summary>Deletes the spill files; batches still on disk fail their shares.</summary>
    public void Dispose()
    {
        var error = new ObjectDisposedException(nameof(SpillBuffer), "The operator stopped with batches still spilled to disk.");
        while (_shares.TryDequeue(out var share))
        {
            share.Fail(0, error);
        }

        _reader?.Dispose();
        foreach (var segment in _segments)
        {
            segment.Writer?.Dispose();
            File.Delete(segment.Path);
        }

        _segments.Clear();
        if (_ownsDirectory && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static byte[] Encode(TelemetryBatch batch)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(0); // length, filled in below
            writer.Write((byte)batch.Signal);
            writer.Write(batch.Context.Tenant ?? string.Empty);
            writer.Write(batch.Context.Tenant is not null);
            writer.Write(batch.Context.ReceivedAt.UtcTicks);
            writer.Write(batch.Context.Metadata.Count);
            foreach (var (key, value) in batch.Context.Metadata)
            {
                writer.Write(key);
                writer.Write(value);
            }

            var payload = batch.Payload.ToByteArray();
            writer.Write(payload.Length);
            writer.Write(payload);
        }

        var record = stream.ToArray();
        BitConverter.TryWriteBytes(record.AsSpan(0, 4), record.Length - 4);
        return record;
    }

    private static TelemetryBatch Decode(FileStream stream, Acknowledgement share)
    {
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        reader.ReadInt32();
        var signal = (Signal)reader.ReadByte();
        var tenant = reader.ReadString();
        var hasTenant = reader.ReadBoolean();
        var received = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero);
        var count = reader.ReadInt32();
        var metadata = new Dictionary<string, string>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            metadata[reader.ReadString()] = reader.ReadString();
        }

        var payload = reader.ReadBytes(reader.ReadInt32());
        var context = new BatchContext(hasTenant ? tenant : null, metadata, received);
        IMessage message = signal switch
        {
            Signal.Traces => ExportTraceServiceRequest.Parser.ParseFrom(payload),
            Signal.Metrics => ExportMetricsServiceRequest.Parser.ParseFrom(payload),
            _ => ExportLogsServiceRequest.Parser.ParseFrom(payload),
        };
        return TelemetryBatch.Create(message, context, share, payload.Length);
    }

    private sealed class Segment(string path, FileStream writer)
    {
        public string Path { get; } = path;

        public FileStream? Writer { get; } = writer;

        public long Length { get; set; }

        public int Records { get; set; }

        public int Read { get; set; }
    }
}
