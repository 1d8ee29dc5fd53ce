using System.Buffers.Binary;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Memory;
using Google.Protobuf;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// Decodes the messages of one <see cref="OtlpArrowEncoder"/> stream back into OTLP export
/// requests, replaying dictionary resets and deltas. Messages must come in order; a gap is an
/// error (<see cref="ArrowStreamGapException"/>). Uncompressed columns are read where they lie in
/// the message, without copying. Not thread-safe: one decoder per stream. Disposing it frees its
/// zstd contexts at once (a zstd stream's window is megabytes of native memory; left to the
/// finalizer, freeing it costs about as much as decoding).
/// </summary>
internal sealed partial class OtlpArrowDecoder : IDisposable
{
    private readonly MemoryAllocator _allocator;
    private readonly StringDictionaryReader _keys = new();
    private readonly KeyedStringDictionaryReader _values = new();
    private readonly StringDictionaryReader _names = new();
    private readonly StringDictionaryReader _bodies = new();
    private readonly AttributeReader _attributes;
    private Guid? _streamId;
    private long _nextSequence;
    private ZstdSharp.Decompressor? _zstdStream;
    private ZstdSharp.Decompressor? _zstdMessage;
    private readonly ReadScratch _scratch = new();
    private readonly Dictionary<TableId, RecordBatch> _tables = [];

    /// <summary>The most bytes a compressed message may expand to by default: the OTLP receivers' default request limit.</summary>
    public const int DefaultMaxExpandedBytes = 64 * 1024 * 1024;

    private readonly int _maxExpandedBytes;

    /// <summary>Creates a decoder for one stream.</summary>
    /// <param name="allocator">Where decompressed buffers are allocated; a shared array pool when null.</param>
    /// <param name="maxExpandedBytes">
    /// The most bytes a compressed message may claim to expand to; a larger claim is invalid data,
    /// refused before anything is allocated for it.
    /// </param>
    public OtlpArrowDecoder(MemoryAllocator? allocator = null, int maxExpandedBytes = DefaultMaxExpandedBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxExpandedBytes, 1);
        _maxExpandedBytes = maxExpandedBytes;
        _allocator = allocator ?? OtlpFlow.Operators.Arrow.Memory.PooledMemoryAllocator.Shared;
        _attributes = new AttributeReader(_keys, _values, _scratch);
    }

    /// <summary>Decodes the next message of the stream.</summary>
    /// <exception cref="ArrowStreamGapException">The message is not the next one of the stream.</exception>
    /// <exception cref="InvalidDataException">The message is corrupt (its dictionaries are still applied when they could be read).</exception>
    public IMessage Decode(ReadOnlyMemory<byte> message)
    {
        var (signal, resetMask, flags, sequence, streamId) = EncodedMessageFormat.ReadHeader(message.Span);
        if (_streamId is null && sequence == 0)
        {
            _streamId = streamId;
        }

        if (_streamId != streamId || sequence != _nextSequence)
        {
            throw new ArrowStreamGapException(
                $"Expected message {_nextSequence} of stream {_streamId?.ToString() ?? "(none yet)"}, got message {sequence} of stream {streamId}: a message is missing or out of order, so the stream dictionaries cannot be rebuilt.");
        }

        // A whole-message zstd frame is expanded once into pool memory; the columns are then read in place.
        using var expanded = (flags & EncodedMessageFormat.ZstdMessageFlag) != 0 ? Expand(message, sequence, streamId)
            : (flags & EncodedMessageFormat.ZstdStreamFlag) != 0 ? ExpandStreamBlock(message, flags, sequence, streamId)
            : null;
        if (expanded is not null)
        {
            message = expanded.Memory;
        }

        Dictionary<TableId, RecordBatch> tables;
        try
        {
            tables = ReadSections(message);
        }
        catch (Exception ex) when (ex is not InvalidDataException)
        {
            throw new InvalidDataException($"Message {sequence} of stream {streamId} is corrupt: {ex.Message}", ex);
        }

        try
        {
            ApplyDictionaries(resetMask, tables.GetValueOrDefault(TableId.Dictionary));
            _nextSequence++;
            _attributes.Load(tables.GetValueOrDefault(TableId.AttributeShapes));
            return (Signal)signal switch
            {
                Signal.Traces => DecodeTraces(tables),
                Signal.Logs => DecodeLogs(tables),
                Signal.Metrics => DecodeMetrics(tables),
                var other => throw new InvalidDataException($"Unknown signal {other} in an Arrow message."),
            };
        }
        catch (Exception ex) when (ex is not InvalidDataException)
        {
            // Columns missing, of the wrong type, or references out of range.
            throw new InvalidDataException($"Message {sequence} of stream {streamId} is corrupt: {ex.Message}", ex);
        }
        finally
        {
            _scratch.Return();
            foreach (var table in tables.Values)
            {
                table.Dispose();
            }

            tables.Clear();
        }
    }

    /// <summary>Frees the zstd contexts; the decoder must not be used afterwards.</summary>
    public void Dispose()
    {
        _zstdStream?.Dispose();
        _zstdStream = null;
        _zstdMessage?.Dispose();
        _zstdMessage = null;
    }

    /// <summary>Decodes a message produced by <see cref="OtlpArrowEncoder.Encode"/>.</summary>
    public IMessage Decode(ArrowEncodedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Decode(batch.Bytes);
    }

    private System.Buffers.IMemoryOwner<byte> Expand(ReadOnlyMemory<byte> message, long sequence, Guid streamId)
    {
        var body = message.Span[EncodedMessageFormat.HeaderSize..];
        try
        {
            var size = ZstdSharp.Decompressor.GetDecompressedSize(body);
            if (size > (ulong)_maxExpandedBytes)
            {
                throw new InvalidDataException($"Message {sequence} of stream {streamId} claims {size} bytes once expanded; the limit is {_maxExpandedBytes}.");
            }

            var owner = new SlicedOwner(_allocator.Allocate(EncodedMessageFormat.HeaderSize + (int)size), EncodedMessageFormat.HeaderSize + (int)size);
            try
            {
                var target = owner.Memory.Span;
                message.Span[..EncodedMessageFormat.HeaderSize].CopyTo(target);
                // One context for every frame of the stream: making one a message costs more than a small frame's expansion.
                _zstdMessage ??= new ZstdSharp.Decompressor();
                var written = _zstdMessage.Unwrap(body, target[EncodedMessageFormat.HeaderSize..]);
                if (written != (int)size)
                {
                    throw new InvalidDataException($"Message {sequence} of stream {streamId} expanded to {written} bytes, not the {size} it claims.");
                }

                return owner;
            }
            catch
            {
                // A corrupt frame must not keep the expanded buffer from the allocator.
                owner.Dispose();
                throw;
            }
        }
        catch (ZstdSharp.ZstdException ex)
        {
            throw new InvalidDataException($"Message {sequence} of stream {streamId} is not a valid zstd frame: {ex.Message}", ex);
        }
    }

    private System.Buffers.IMemoryOwner<byte> ExpandStreamBlock(ReadOnlyMemory<byte> message, byte flags, long sequence, Guid streamId)
    {
        var body = message[EncodedMessageFormat.HeaderSize..];
        var size = body.Length < 4 ? -1 : BinaryPrimitives.ReadInt32LittleEndian(body.Span);
        if (size < 0 || size > _maxExpandedBytes)
        {
            throw new InvalidDataException($"Message {sequence} of stream {streamId} claims {size} bytes once expanded; the limit is {_maxExpandedBytes}.");
        }

        if (_zstdStream is null || (flags & EncodedMessageFormat.ZstdStreamResetFlag) != 0)
        {
            _zstdStream ??= new ZstdSharp.Decompressor();
            _zstdStream.ResetStream();
        }

        var owner = new SlicedOwner(_allocator.Allocate(EncodedMessageFormat.HeaderSize + size), EncodedMessageFormat.HeaderSize + size);
        try
        {
            var target = owner.Memory.Span;
            message.Span[..EncodedMessageFormat.HeaderSize].CopyTo(target);
            target = target[EncodedMessageFormat.HeaderSize..];
            var input = body.Span[4..];
            var total = 0;
            while (total < size || !input.IsEmpty)
            {
                _zstdStream.UnwrapStream(input, target[total..], out var consumed, out var written);
                if (consumed == 0 && written == 0)
                {
                    throw new InvalidDataException($"Message {sequence} of stream {streamId} expanded to {total} bytes, not the {size} it claims.");
                }

                input = input[consumed..];
                total += written;
            }

            return owner;
        }
        catch (Exception ex)
        {
            owner.Dispose();
            if (ex is ZstdSharp.ZstdException)
            {
                throw new InvalidDataException($"Message {sequence} of stream {streamId} is not a valid block of its zstd stream: {ex.Message}", ex);
            }

            throw;
        }
    }

    /// <summary>Pool memory cut to the length used (the pool may hand out more).</summary>
    private sealed class SlicedOwner(System.Buffers.IMemoryOwner<byte> inner, int length) : System.Buffers.IMemoryOwner<byte>
    {
        public Memory<byte> Memory => inner.Memory[..length];

        public void Dispose() => inner.Dispose();
    }

    private Dictionary<TableId, RecordBatch> ReadSections(ReadOnlyMemory<byte> message)
    {
        // One dictionary for every message of the stream: it is emptied when a message is done.
        var tables = _tables;
        tables.Clear();
        var context = new ArrowContext(_allocator, ArrowIpc.Codecs, null);
        var offset = EncodedMessageFormat.HeaderSize;
        try
        {
            while (offset < message.Length)
            {
                if (message.Length - offset < EncodedMessageFormat.SectionHeaderSize)
                {
                    throw new InvalidDataException("Truncated section header in an Arrow message.");
                }

                var id = (TableId)message.Span[offset];
                var length = BinaryPrimitives.ReadInt32LittleEndian(message.Span[(offset + 1)..]);
                offset += EncodedMessageFormat.SectionHeaderSize;
                if (length < 0 || length > message.Length - offset)
                {
                    throw new InvalidDataException($"Section {id} claims {length} bytes; {message.Length - offset} are left.");
                }

                // The reader slices its buffers out of this memory: uncompressed columns are never copied.
                using var reader = new ArrowStreamReader(context, message.Slice(offset, length));
                var batch = reader.ReadNextRecordBatch() ?? throw new InvalidDataException($"Section {id} holds no record batch.");
                if (!tables.TryAdd(id, batch))
                {
                    batch.Dispose();
                    throw new InvalidDataException($"Section {id} appears twice in one message.");
                }

                CheckedColumns.Validate(batch);

                offset += length;
            }
        }
        catch
        {
            foreach (var table in tables.Values)
            {
                table.Dispose();
            }

            tables.Clear();
            throw;
        }

        return tables;
    }

    private void ApplyDictionaries(byte resetMask, RecordBatch? delta)
    {
        if ((resetMask & (1 << (int)DictionaryId.Keys)) != 0) _keys.Reset();
        if ((resetMask & (1 << (int)DictionaryId.Values)) != 0) _values.Reset();
        if ((resetMask & (1 << (int)DictionaryId.Names)) != 0) _names.Reset();
        if ((resetMask & (1 << (int)DictionaryId.Bodies)) != 0) _bodies.Reset();
        if (delta is null)
        {
            return;
        }

        var dictionary = IntegerColumn<byte>.Of(delta, "dictionary");
        var key = IntegerColumn<uint>.Of(delta, "key");
        var value = CheckedColumns.Binary<StringArray>(delta, "value");
        for (var i = 0; i < delta.Length; i++)
        {
            switch ((DictionaryId)dictionary[i])
            {
                case DictionaryId.Keys: _keys.Append(value.GetString(i)); break;
                case DictionaryId.Values:
                    // A value belongs to a key the stream has (keys come first in a delta), so a
                    // corrupt key cannot make the reader grow a table to its number.
                    if (key[i] >= (uint)_keys.Count)
                    {
                        throw new InvalidDataException($"A value for key {key[i]} arrived; the stream has {_keys.Count} keys.");
                    }

                    _values.Append(key[i], value.GetString(i));
                    break;
                case DictionaryId.Names: _names.Append(value.GetString(i)); break;
                case DictionaryId.Bodies: _bodies.Append(value.GetString(i)); break;
                default: throw new InvalidDataException($"Unknown dictionary {dictionary[i]}.");
            }
        }
    }

    private static ulong Undelta(ulong previous, long delta) => unchecked(previous + (ulong)delta);

    /// <summary>Adds <paramref name="count"/> items from <paramref name="first"/> on, growing the field once.</summary>
    private static void AddRange<T>(Google.Protobuf.Collections.RepeatedField<T> target, T[] items, int first, int count)
    {
        var range = new ReadOnlySpan<T>(items, first, count);
        if (target.Capacity < target.Count + count)
        {
            target.Capacity = target.Count + count;
        }

        foreach (var item in range)
        {
            target.Add(item);
        }
    }

    private static ByteString Bytes(BinaryArray array, int row) => ByteString.CopyFrom(array.GetBytes(row));
}
