using System.Buffers.Binary;
using Google.Protobuf;

namespace OtlpFlow.Operators.Sampling;

/// <summary>A trace id as two 64-bit halves: a cheap dictionary key with no allocation.</summary>
internal readonly record struct TraceKey(ulong High, ulong Low)
{
    public static TraceKey From(ByteString traceId) => From(traceId.Span);

    public static TraceKey From(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 16)
        {
            return new TraceKey(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));
        }

        // Not a valid trace id: still group equal ids together.
        Span<byte> padded = stackalloc byte[16];
        bytes[..Math.Min(16, bytes.Length)].CopyTo(padded);
        return new TraceKey(BinaryPrimitives.ReadUInt64BigEndian(padded) ^ (ulong)bytes.Length, BinaryPrimitives.ReadUInt64BigEndian(padded[8..]));
    }

    /// <summary>The randomness of the trace id (its last 7 bytes).</summary>
    public ulong Randomness => Low & ConsistentProbability.Mask56;
}
