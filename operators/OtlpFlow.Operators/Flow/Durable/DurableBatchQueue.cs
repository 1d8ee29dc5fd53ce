using System.Buffers;
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
/// <para>
/// Layout of the folder: <c>NNNNNNNNNN.seg</c> files of records (<c>magic</c>, <c>length</c>,
/// <c>crc32</c>, bytes) and a <c>head</c> file with the position of the oldest record not yet
/// completed. Records complete out of order when several consumers send at once; the head only
/// moves past a record once every record before it is complete, and a segment file is deleted once
/// the head has left it.
/// </para>
/// <para>
/// What keeps it honest on a full or failing disk: records are written at explicit offsets (no
/// stream buffer can hold a failed write's bytes back for later); a write or flush that fails is
/// rolled back by cutting the file to the end of the last whole record before anything else is
/// written, and the enqueue fails, so nothing half-written is ever acknowledged; the head file has
/// a fixed size and two checksummed slots written in turn, so recording progress needs no new disk
/// space and a torn head write leaves the other slot; a record that cannot be read for an I/O error
/// is retried, never counted as sent; and recovery resynchronises past a damaged record to the next
/// valid one (each record starts with a magic number and carries its own checksum) instead of
/// discarding the rest of its segment. Writes resume by themselves as soon as space returns.
/// </para>
/// </remarks>
internal sealed class DurableBatchQueue : IDisposable
{
    private const uint Magic = 0x3152514F; // "OQR1"
    private const int FrameHeader = 12;
    private const int LegacyFrameHeader = 8;
    private const string HeadFile = "head";
    private const int HeadSlot = 32;
    private static readonly TimeSpan MaxReadRetryDelay = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private readonly string _directory;
    private readonly long _maxBytes;
    private readonly long _segmentBytes;
    private readonly IQueueFileSystem _files;
    private readonly TimeProvider _time;
    private readonly List<Segment> _segments = [];
    private readonly LinkedList<Entry> _unread = new();
    private readonly Queue<Entry> _incomplete = new();
    private TaskCompletionSource _changed = NewSignal();
    private IQueueFile? _head;
    private ulong _headSequence;
    private Segment? _rollback;
    private long _bytesOnDisk;
    private long _nextSegment = 1;
    private int _readFailures;
    private bool _addingCompleted;
    private bool _disposed;

    private DurableBatchQueue(string directory, long maxBytes, IQueueFileSystem files, TimeProvider time)
    {
        _directory = directory;
        _maxBytes = maxBytes;
        _files = files;
        _time = time;

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

    /// <summary>Damaged stretches skipped: a record cut by a crash or whose bytes fail their checksum.</summary>
    public int Damaged { get; private set; }

    /// <summary>Enqueues that failed to reach the device (a full disk, a failed flush) and were rolled back.</summary>
    public long FailedWrites { get; private set; }

    /// <summary>Progress records that could not be written; the cost is records sent again after a restart, never records lost.</summary>
    public long FailedHeadWrites { get; private set; }

    /// <summary>
    /// Opens the queue in <paramref name="directory"/> (created when missing), recovering the records
    /// that an earlier process enqueued and did not complete.
    /// </summary>
    /// <param name="directory">The queue's own folder.</param>
    /// <param name="maxBytes">The most bytes the segment files may hold.</param>
    public static DurableBatchQueue Open(string directory, long maxBytes) => Open(directory, maxBytes, QueueFileSystem.Instance, TimeProvider.System);

    /// <summary>Opens the queue through a file-system seam (tests inject faults through it).</summary>
    internal static DurableBatchQueue Open(string directory, long maxBytes, IQueueFileSystem files, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1024);
        files.CreateDirectory(directory);
        var queue = new DurableBatchQueue(directory, maxBytes, files, time);
        try
        {
            queue.Recover();
        }
        catch
        {
            queue.Dispose();
            throw;
        }

        return queue;
    }

    /// <summary>Writes the batch to disk and flushes it to the device; waits while the queue is over its byte budget.</summary>
    /// <exception cref="InvalidOperationException">The batch alone is larger than the budget, or adding was completed.</exception>
    /// <exception cref="IOException">The disk refused the record (full, failing); nothing of it stays, and a later enqueue may succeed.</exception>
    public async ValueTask EnqueueAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var body = BatchRecordCodec.Encode(batch);
        var frame = new byte[FrameHeader + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(4), body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(8), Crc32.HashToUInt32(body));
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
    /// every record has been handed out. A record that cannot be read for an I/O error is tried
    /// again after a pause (it is never skipped); one whose bytes fail their checksum can never be
    /// sent, and is counted in <see cref="Damaged"/>.
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
                if (_unread.First is { } first)
                {
                    entry = first.Value;
                    _unread.RemoveFirst();
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

            var (record, damaged) = TryRead(entry);
            if (record is not null)
            {
                lock (_lock)
                {
                    _readFailures = 0;
                }

                return record;
            }

            TimeSpan pause;
            lock (_lock)
            {
                if (damaged)
                {
                    Damaged++;
                    MarkDone(entry);
                    continue;
                }

                // An I/O error: the record goes back to the front and is read again after a pause.
                _unread.AddFirst(entry);
                _readFailures++;
                pause = TimeSpan.FromMilliseconds(Math.Min(MaxReadRetryDelay.TotalMilliseconds, 50 * Math.Pow(2, Math.Min(_readFailures, 10))));
            }

            await Task.Delay(pause, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Removes a record handed out by <see cref="DequeueAsync"/>: sent, or refused for good by its peer.</summary>
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

    /// <summary>Closes the files. Records not completed stay on disk for the next <see cref="Open(string, long)"/>.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var segment in _segments)
            {
                segment.File.Dispose();
            }

            _head?.Dispose();
            Signal();
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private string SegmentPath(long number) => Path.Combine(_directory, $"{number:D10}.seg");

    private void Append(byte[] frame)
    {
        // A failed write whose cut failed too: cut it now. Writes go at explicit offsets, so even if
        // this fails again the next record overwrites the leftover bytes from the right place.
        if (_rollback is { } pending)
        {
            try
            {
                pending.File.SetLength(pending.Length);
                _rollback = null;
            }
            catch (IOException)
            {
            }
        }

        var last = _segments.Count > 0 ? _segments[^1] : null;
        if (last is null || !last.Writable || (last.Length > 0 && last.Length + frame.Length > _segmentBytes))
        {
            last?.Writable = false;
            var segment = new Segment(_nextSegment, _files.Open(SegmentPath(_nextSegment), create: true));
            _nextSegment++;
            _segments.Add(segment);
            last = segment;
        }

        var file = last.File;
        try
        {
            file.Write(frame, last.Length);
            file.Flush();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            FailedWrites++;
            try
            {
                file.SetLength(last.Length);
            }
            catch (IOException)
            {
                _rollback = last;
            }

            throw;
        }

        var entry = new Entry(last, last.Length, frame.Length, FrameHeader);
        last.Length += frame.Length;
        _bytesOnDisk += frame.Length;
        _unread.AddLast(entry);
        _incomplete.Enqueue(entry);
        Signal();
    }

    private (DurableRecord? Record, bool Damaged) TryRead(Entry entry)
    {
        var frame = new byte[entry.FrameLength];
        try
        {
            if (entry.Segment.File.Read(frame, entry.Offset) < frame.Length)
            {
                return (null, true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            return (null, false);
        }

        var body = frame.AsSpan(entry.HeaderLength);
        if (Crc32.HashToUInt32(body) != BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(entry.HeaderLength - 4)))
        {
            return (null, true);
        }

        try
        {
            return (new DurableRecord(BatchRecordCodec.Decode(body.ToArray(), Acknowledgement.None), entry), false);
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or Google.Protobuf.InvalidProtocolBufferException)
        {
            return (null, true);
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
        var position = head is null ? (_nextSegment, 0L) : (head.Segment.Number, head.Offset);

        // Progress first: a head that names a deleted segment is harmless, a deleted segment the head
        // still names before its write would be too, but writing first keeps replays smallest.
        WriteHead(position);
        while (_segments.Count > 0 && _segments[0].Number < keepFrom)
        {
            var gone = _segments[0];
            _segments.RemoveAt(0);
            gone.File.Dispose();
            if (ReferenceEquals(_rollback, gone))
            {
                _rollback = null;
            }

            try
            {
                _files.Delete(SegmentPath(gone.Number));
            }
            catch (IOException)
            {
                // Left behind: the next open deletes every segment before the head.
            }

            _bytesOnDisk -= gone.Length;
        }

        Signal();
    }

    // The head is overwritten in place, in the slot after the last one written, so it needs no new
    // disk space. It is not flushed to the device: a stale head only means records sent again after
    // a crash (at-least-once), never records lost.
    private void WriteHead((long Segment, long Offset) position)
    {
        if (_head is null)
        {
            return;
        }

        var sequence = _headSequence + 1;
        Span<byte> slot = stackalloc byte[HeadSlot];
        EncodeHead(slot, sequence, position);
        try
        {
            _head.Write(slot, (long)(sequence % 2) * HeadSlot);
            _headSequence = sequence;
        }
        catch (IOException)
        {
            FailedHeadWrites++;
        }
    }

    private static void EncodeHead(Span<byte> slot, ulong sequence, (long Segment, long Offset) position)
    {
        slot.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(slot, sequence);
        BinaryPrimitives.WriteInt64LittleEndian(slot[8..], position.Segment);
        BinaryPrimitives.WriteInt64LittleEndian(slot[16..], position.Offset);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[24..], Crc32.HashToUInt32(slot[..24]));
    }

    /// <summary>Opens (or creates) the head file and reads the newest valid slot; (0, 0) when there is none.</summary>
    private (long Segment, long Offset) OpenHead()
    {
        var path = Path.Combine(_directory, HeadFile);
        _head = _files.Open(path, create: true);
        var bytes = new byte[Math.Min(_head.Length, 2 * HeadSlot)];
        _head.Read(bytes, 0);
        (long, long) position = (0, 0);
        if (bytes.Length == 16)
        {
            // The first layout: one unchecked 16-byte position.
            position = (BinaryPrimitives.ReadInt64LittleEndian(bytes), BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8)));
        }
        else
        {
            for (var i = 0; i + HeadSlot <= bytes.Length; i += HeadSlot)
            {
                var slot = bytes.AsSpan(i, HeadSlot);
                var sequence = BinaryPrimitives.ReadUInt64LittleEndian(slot);
                if (sequence > _headSequence && Crc32.HashToUInt32(slot[..24]) == BinaryPrimitives.ReadUInt32LittleEndian(slot[24..]))
                {
                    _headSequence = sequence;
                    position = (BinaryPrimitives.ReadInt64LittleEndian(slot[8..]), BinaryPrimitives.ReadInt64LittleEndian(slot[16..]));
                }
            }
        }

        if (_head.Length != 2 * HeadSlot)
        {
            // Give the file its full size once, at open, so that progress never needs new space later.
            Span<byte> both = stackalloc byte[2 * HeadSlot];
            _headSequence++;
            EncodeHead(both[..HeadSlot], _headSequence, position);
            EncodeHead(both[HeadSlot..], _headSequence, position);
            _head.Write(both, 0);
            _head.SetLength(2 * HeadSlot);
            _head.Flush();
        }

        return position;
    }

    private void Recover()
    {
        var head = OpenHead();
        var numbers = _files.GetFiles(_directory, "*.seg")
            .Select(p => long.TryParse(Path.GetFileNameWithoutExtension(p), out var n) ? n : -1)
            .Where(n => n > 0)
            .Order()
            .ToList();
        foreach (var number in numbers)
        {
            var path = SegmentPath(number);
            if (number < head.Segment)
            {
                _files.Delete(path);
                continue;
            }

            var segment = new Segment(number, _files.Open(path, create: false));
            ScanSegment(segment, number == head.Segment ? head.Offset : 0);
            _segments.Add(segment);
            _bytesOnDisk += segment.Length;
        }

        Recovered = _unread.Count;
        _nextSegment = Math.Max(head.Segment, numbers.Count > 0 ? numbers[^1] + 1 : 1);

        // New records go to a new segment: the recovered ones may hold damaged stretches in the middle.
        if (_segments.Count > 0)
        {
            _segments[^1].Writable = false;
        }
    }

    // Queues the whole records of one segment from 'start'. A damaged stretch in the middle is
    // skipped to the next valid record; bytes after the last valid record (a write cut by a crash)
    // are cut off. Sets the segment's length to the end of its last valid record.
    private void ScanSegment(Segment segment, long start)
    {
        var file = segment.File;
        var length = file.Length;
        if (start > length)
        {
            // A head past the end of its segment: something cut the file; replay it all rather than lose any.
            start = 0;
        }

        var data = ArrayPool<byte>.Shared.Rent((int)Math.Max(1, length));
        try
        {
            var bytes = data.AsSpan(0, file.Read(data.AsSpan(0, (int)length), 0));
            long position = start;
            long end = start;
            while (position < bytes.Length)
            {
                if (TryFrame(bytes, (int)position, out var frameLength, out var headerLength))
                {
                    var entry = new Entry(segment, position, frameLength, headerLength);
                    _unread.AddLast(entry);
                    _incomplete.Enqueue(entry);
                    position += frameLength;
                    end = position;
                    continue;
                }

                Damaged++;
                var next = FindFrame(bytes, (int)position + 1);
                if (next < 0)
                {
                    break;
                }

                position = next;
            }

            if (end < length)
            {
                file.SetLength(end);
            }

            segment.Length = end;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }

    /// <summary>True when a whole, valid record starts at <paramref name="at"/>: this layout's, or the first one's (no magic).</summary>
    private static bool TryFrame(ReadOnlySpan<byte> bytes, int at, out int frameLength, out int headerLength)
    {
        frameLength = 0;
        headerLength = bytes.Length - at >= FrameHeader && BinaryPrimitives.ReadUInt32LittleEndian(bytes[at..]) == Magic ? FrameHeader : LegacyFrameHeader;
        if (bytes.Length - at < headerLength)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes[(at + headerLength - 8)..]);
        if (length < 0 || length > bytes.Length - at - headerLength)
        {
            return false;
        }

        var body = bytes.Slice(at + headerLength, length);
        if (Crc32.HashToUInt32(body) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[(at + headerLength - 4)..]))
        {
            return false;
        }

        frameLength = headerLength + length;
        return true;
    }

    /// <summary>The offset of the next valid record of this layout at or after <paramref name="from"/>; -1 when none.</summary>
    private static int FindFrame(ReadOnlySpan<byte> bytes, int from)
    {
        Span<byte> magic = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(magic, Magic);
        while (from < bytes.Length)
        {
            var found = bytes[from..].IndexOf(magic);
            if (found < 0)
            {
                return -1;
            }

            if (TryFrame(bytes, from + found, out _, out var header) && header == FrameHeader)
            {
                return from + found;
            }

            from += found + 1;
        }

        return -1;
    }

    internal sealed class Segment(long number, IQueueFile file)
    {
        public long Number { get; } = number;

        /// <summary>The end of the last whole record: where the next one is written.</summary>
        public long Length { get; set; }

        /// <summary>Read and written at explicit offsets; disposed when the segment is deleted or the queue closed.</summary>
        public IQueueFile File { get; } = file;

        /// <summary>True while new records go to this segment.</summary>
        public bool Writable { get; set; } = true;
    }

    internal sealed class Entry(Segment segment, long offset, int frameLength, int headerLength)
    {
        public Segment Segment { get; } = segment;

        public long Offset { get; } = offset;

        public int FrameLength { get; } = frameLength;

        public int HeaderLength { get; } = headerLength;

        public bool Done { get; set; }
    }
}
