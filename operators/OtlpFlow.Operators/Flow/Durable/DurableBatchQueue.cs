using System.Buffers.Binary;
using System.IO.Hashing;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Flow;

/// <summary>
/// A first-in first-out queue of batches in segment files that survives the process: a batch is on
/// disk (flushed to the device) when <see cref="EnqueueAsync"/> returns, and it stays there until
/// <see cref="Complete"/> is called for it, so a process killed at any moment loses nothing that was
/// enqueued; records handed out but not completed are handed out again after a restart
/// (at-least-once). Disk use stays within a byte budget: an enqueue waits for room.
/// </summary>
/// <remarks>
/// Layout of the folder: <c>NNNNNNNNNN.seg</c> files of records (<c>length</c>, <c>crc32</c>, bytes)
/// and a <c>head</c> file with the position of the oldest record not yet completed. Records complete
/// out of order when several consumers send at once; the head only moves past a record once every
/// record before it is complete, and a segment file is deleted once the head has left it. A record
/// torn by a crash in the middle of a write fails its length or checksum and is cut off on open.
/// </remarks>
public sealed class DurableBatchQueue : IDisposable
{
    private const int FrameHeader = 8;
    private const string HeadFile = "head";

    private readonly object _lock = new();
    private readonly string _directory;
    private readonly long _maxBytes;
    private readonly long _segmentBytes;
    private readonly List<Segment> _segments = [];
    private readonly Queue<Entry> _unread = new();
    private readonly Queue<Entry> _incomplete = new();
    private TaskCompletionSource _changed = NewSignal();
    private FileStream? _writer;
    private long _bytesOnDisk;
    private long _nextSegment = 1;
    private bool _addingCompleted;
    private bool _disposed;

    private DurableBatchQueue(string directory, long maxBytes)
    {
        _directory = directory;
        _maxBytes = maxBytes;

        // Several segments per budget, so that completing records frees disk space long before the
        // whole queue has been sent.
        _segmentBytes = Math.Clamp(maxBytes / 8, 4096, 64L * 1024 * 1024);
    }

    /// <summary>Records enqueued and not yet completed, including those handed out.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _incomplete.Count(e => !e.Done);
            }
        }
    }

    /// <summary>Bytes in segment files now.</summary>
    public long BytesOnDisk
    {
        get
        {
            lock (_lock)
            {
                return _bytesOnDisk;
            }
        }
    }

    /// <summary>Records found on disk when the queue was opened (left by an earlier process).</summary>
    public int Recovered { get; private set; }

    /// <summary>Records skipped because they could not be read back (cut by a crash or damaged).</summary>
    public int Damaged { get; private set; }

    /// <summary>
    /// Opens the queue in <paramref name="directory"/> (created when missing), recovering the records
    /// that an earlier process enqueued and did not complete.
    /// </summary>
    /// <param name="directory">The queue's own folder.</param>
    /// <param name="maxBytes">The most bytes the segment files may hold.</param>
    public static DurableBatchQueue Open(string directory, long maxBytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1024);
        Directory.CreateDirectory(directory);
        var queue = new DurableBatchQueue(directory, maxBytes);
        queue.Recover();
        return queue;
    }

    /// <summary>Writes the batch to disk and flushes it to the device; waits while the queue is over its byte budget.</summary>
    /// <exception cref="InvalidOperationException">The batch alone is larger than the budget, or adding was completed.</exception>
    public async ValueTask EnqueueAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var body = BatchRecordCodec.Encode(batch);
        var frame = new byte[FrameHeader + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), Crc32.HashToUInt32(body));
        body.CopyTo(frame, FrameHeader);
        if (frame.Length > _maxBytes)
        {
            throw new InvalidOperationException($"a batch of {frame.Length} bytes does not fit in a queue of at most {_maxBytes} bytes on disk");
        }

        while (true)
        {
            Task wait;
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_addingCompleted)
                {
                    throw new InvalidOperationException("the queue takes no more batches");
                }

                if (_bytesOnDisk + frame.Length <= _maxBytes)
                {
                    Append(frame);
                    return;
                }

                wait = _changed.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The oldest record not yet handed out, waiting for one; null once adding is completed and
    /// every record has been handed out.
    /// </summary>
    public async ValueTask<DurableRecord?> DequeueAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Entry? entry = null;
            Task wait;
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_unread.TryDequeue(out var next))
                {
                    entry = next;
                }
                else if (_addingCompleted)
                {
                    return null;
                }

                wait = _changed.Task;
            }

            if (entry is null)
            {
                await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            var record = TryRead(entry);
            if (record is not null)
            {
                return record;
            }

            // Unreadable: it can never be sent, so it must not hold the head back.
            lock (_lock)
            {
                Damaged++;
                MarkDone(entry);
            }
        }
    }

    /// <summary>Removes a record handed out by <see cref="DequeueAsync"/>: sent, or given up for good.</summary>
    public void Complete(DurableRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_lock)
        {
            if (!_disposed)
            {
                MarkDone(record.Entry);
            }
        }
    }

    /// <summary>No more enqueues: <see cref="DequeueAsync"/> returns null once the unread records are handed out.</summary>
    public void CompleteAdding()
    {
        lock (_lock)
        {
            _addingCompleted = true;
            Signal();
        }
    }

    /// <summary>Closes the files. Records not completed stay on disk for the next <see cref="Open"/>.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _writer?.Dispose();
            _writer = null;
            Signal();
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private string SegmentPath(long number) => Path.Combine(_directory, $"{number:D10}.seg");

    private void Append(byte[] frame)
    {
        var last = _segments.Count > 0 ? _segments[^1] : null;
        if (last is null || _writer is null || (last.Length > 0 && last.Length + frame.Length > _segmentBytes))
        {
            _writer?.Dispose();
            last = new Segment(_nextSegment++);
            _segments.Add(last);
            _writer = new FileStream(SegmentPath(last.Number), FileMode.Append, FileAccess.Write, FileShare.Read | FileShare.Delete);
        }

        _writer.Write(frame);
        _writer.Flush(flushToDisk: true);
        var entry = new Entry(last, last.Length, frame.Length - FrameHeader);
        last.Length += frame.Length;
        _bytesOnDisk += frame.Length;
        _unread.Enqueue(entry);
        _incomplete.Enqueue(entry);
        Signal();
    }

    private DurableRecord? TryRead(Entry entry)
    {
        var body = new byte[entry.Length];
        try
        {
            using var handle = File.OpenHandle(SegmentPath(entry.Segment.Number), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            RandomAccess.Read(handle, body, entry.Offset + FrameHeader);
            return new DurableRecord(BatchRecordCodec.Decode(body, Acknowledgement.None), entry);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void MarkDone(Entry entry)
    {
        entry.Done = true;
        var moved = false;
        while (_incomplete.TryPeek(out var oldest) && oldest.Done)
        {
            _incomplete.Dequeue();
            moved = true;
        }

        if (!moved)
        {
            return;
        }

        // Segments wholly before the head are gone; when nothing is left at all, the segment being
        // written goes too, so that a full last segment never keeps its bytes counted.
        var head = _incomplete.TryPeek(out var first) ? first : null;
        var keepFrom = head?.Segment.Number ?? long.MaxValue;
        while (_segments.Count > 0 && _segments[0].Number < keepFrom)
        {
            var gone = _segments[0];
            _segments.RemoveAt(0);
            if (_segments.Count == 0)
            {
                _writer?.Dispose();
                _writer = null;
            }

            File.Delete(SegmentPath(gone.Number));
            _bytesOnDisk -= gone.Length;
        }

        WriteHead(head is null ? (_nextSegment, 0) : (head.Segment.Number, head.Offset));
        Signal();
    }

    // A stale head only means records sent again after a crash (at-least-once), never records lost,
    // so it is replaced atomically but not flushed to the device.
    private void WriteHead((long Segment, long Offset) head)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, head.Segment);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[8..], head.Offset);
        var temporary = Path.Combine(_directory, HeadFile + ".tmp");
        File.WriteAllBytes(temporary, bytes.ToArray());
        File.Move(temporary, Path.Combine(_directory, HeadFile), overwrite: true);
    }

    private (long Segment, long Offset) ReadHead()
    {
        var path = Path.Combine(_directory, HeadFile);
        if (!File.Exists(path))
        {
            return (0, 0);
        }

        var bytes = File.ReadAllBytes(path);
        return bytes.Length == 16
            ? (BinaryPrimitives.ReadInt64LittleEndian(bytes), BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8)))
            : (0, 0);
    }

    private void Recover()
    {
        var head = ReadHead();
        var numbers = Directory.EnumerateFiles(_directory, "*.seg")
            .Select(p => long.TryParse(Path.GetFileNameWithoutExtension(p), out var n) ? n : -1)
            .Where(n => n > 0)
            .Order()
            .ToList();
        foreach (var number in numbers)
        {
            var path = SegmentPath(number);
            if (number < head.Segment)
            {
                File.Delete(path);
                continue;
            }

            var segment = new Segment(number);
            var start = number == head.Segment ? head.Offset : 0;
            segment.Length = ScanSegment(path, segment, start);
            _segments.Add(segment);
            _bytesOnDisk += segment.Length;
        }

        Recovered = _unread.Count;
        _nextSegment = Math.Max(head.Segment, numbers.Count > 0 ? numbers[^1] + 1 : 1);
        if (_segments.Count > 0)
        {
            _nextSegment = _segments[^1].Number + 1;
            _writer = new FileStream(SegmentPath(_segments[^1].Number), FileMode.Append, FileAccess.Write, FileShare.Read | FileShare.Delete);
        }
    }

    // Reads the records of one segment from 'start', queueing them; cuts the file after the last
    // whole record. Returns the segment's length after the cut.
    private long ScanSegment(string path, Segment segment, long start)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        var position = start;
        var header = new byte[FrameHeader];
        while (true)
        {
            if (position + FrameHeader > stream.Length)
            {
                break;
            }

            stream.Position = position;
            stream.ReadExactly(header);
            var length = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (length < 0 || position + FrameHeader + length > stream.Length)
            {
                break;
            }

            var body = new byte[length];
            stream.ReadExactly(body);
            if (Crc32.HashToUInt32(body) != BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4)))
            {
                break;
            }

            var entry = new Entry(segment, position, length);
            _unread.Enqueue(entry);
            _incomplete.Enqueue(entry);
            position += FrameHeader + length;
        }

        if (position < stream.Length)
        {
            Damaged++;
            stream.SetLength(position);
        }

        return position;
    }

    internal sealed class Segment(long number)
    {
        public long Number { get; } = number;

        public long Length { get; set; }
    }

    internal sealed class Entry(Segment segment, long offset, int length)
    {
        public Segment Segment { get; } = segment;

        public long Offset { get; } = offset;

        public int Length { get; } = length;

        public bool Done { get; set; }
    }
}
