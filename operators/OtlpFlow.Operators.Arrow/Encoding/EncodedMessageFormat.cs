using System.Buffers.Binary;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// The frame around the Arrow IPC streams of one encoded batch:
/// a 32-byte header (magic <c>OFA</c>, version, signal, dictionary reset mask, flags, a reserved
/// byte, sequence number, stream id), then sections of [table id: 1 byte][length: 4 bytes LE]
/// [an Arrow IPC stream holding one record batch]. With <see cref="ZstdMessageFlag"/> the sections
/// are one zstd frame; with <see cref="ZstdStreamFlag"/> they are the next block of a zstd
/// stream that runs through the whole stream of messages.
/// </summary>
internal static class EncodedMessageFormat
{
    public const int HeaderSize = 32;
    public const int SectionHeaderSize = 5;
    public const byte Version = 2;

    /// <summary>Flag: everything after the header is one zstd frame.</summary>
    public const byte ZstdMessageFlag = 1;

    /// <summary>
    /// Flag: everything after the header is [expanded length: 4 bytes LE] and the next flushed
    /// block of the stream's zstd stream.
    /// </summary>
    public const byte ZstdStreamFlag = 2;

    /// <summary>Flag, with <see cref="ZstdStreamFlag"/>: the zstd stream starts afresh at this message.</summary>
    public const byte ZstdStreamResetFlag = 4;

    public static void WriteHeader(Span<byte> header, byte signal, byte resetMask, byte flags, long sequence, Guid streamId)
    {
        header[0] = (byte)'O';
        header[1] = (byte)'F';
        header[2] = (byte)'A';
        header[3] = Version;
        header[4] = signal;
        header[5] = resetMask;
        header[6] = flags;
        header[7] = 0;
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], sequence);
        streamId.TryWriteBytes(header[16..]);
    }

    public static (byte Signal, byte ResetMask, byte Flags, long Sequence, Guid StreamId) ReadHeader(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderSize || message[0] != 'O' || message[1] != 'F' || message[2] != 'A')
        {
            throw new InvalidDataException("Not an OtlpFlow Arrow message (bad magic or too short).");
        }

        if (message[3] != Version)
        {
            throw new InvalidDataException($"Unsupported OtlpFlow Arrow message version {message[3]}; this build reads version {Version}.");
        }

        return (message[4], message[5], message[6], BinaryPrimitives.ReadInt64LittleEndian(message[8..]), new Guid(message.Slice(16, 16)));
    }
}
