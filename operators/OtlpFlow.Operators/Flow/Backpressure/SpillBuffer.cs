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

    /// <summary>
    /// Writes a batch if it fits in the budget. The spill is a queue of acknowledgements as much as
    /// of data: the batch object goes (its memory is the point of spilling), so the buffer keeps a
    /// share of its requests for the batch read back later, or none when settled on spill.
    /// </summary>
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
        // The caller's batch is released by the engine when its call ends; what is on disk holds its own share.
        _shares.Enqueue(settle ? Acknowledgement.None : batch.Ack.AddShare());

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
        var body = BatchRecordCodec.Encode(batch);
        var record = new byte[body.Length + 4];
        BitConverter.TryWriteBytes(record.AsSpan(0, 4), body.Length);
        body.CopyTo(record, 4);
        return record;
    }

    private static TelemetryBatch Decode(FileStream stream, Acknowledgement share)
    {
        Span<byte> length = stackalloc byte[4];
        stream.ReadExactly(length);
        var body = new byte[BitConverter.ToInt32(length)];
        stream.ReadExactly(body);
        return BatchRecordCodec.Decode(body, share);
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
