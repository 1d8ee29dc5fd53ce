using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;

namespace OtlpFlow.Operators.Routing;

/// <summary>
/// The 64-bit hashes that partitioning is built on. They are stable across processes and
/// machines (unlike <see cref="string.GetHashCode()"/>), so that every instance of a pipeline
/// sends a key to the same member.
/// </summary>
internal static class PartitionHash
{
    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;

    /// <summary>
    /// A finalizer that spreads every input bit over every output bit (the 64-bit MurmurHash3
    /// finalizer): hashes of nearly equal inputs look unrelated.
    /// </summary>
    public static ulong Mix(ulong value)
    {
        value ^= value >> 33;
        value *= 0xff51afd7ed558ccdUL;
        value ^= value >> 33;
        value *= 0xc4ceb9fe1a85ec53UL;
        value ^= value >> 33;
        return value;
    }

    /// <summary>Hashes bytes such as a trace id. A 16-byte id takes a fast path: it is already random.</summary>
    public static ulong Of(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 16)
        {
            return Mix(BinaryPrimitives.ReadUInt64LittleEndian(bytes) ^ Mix(BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..])));
        }

        var hash = FnvOffset;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * FnvPrime;
        }

        return Mix(hash);
    }

    /// <summary>Hashes a byte string (trace or span id).</summary>
    public static ulong Of(ByteString bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return Of(bytes.Span);
    }

    /// <summary>Hashes text by its UTF-16 code units (the same on every platform).</summary>
    public static ulong Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var hash = FnvOffset;
        foreach (var b in MemoryMarshal.AsBytes(text.AsSpan()))
        {
            hash = (hash ^ b) * FnvPrime;
        }

        return Mix(hash);
    }

    /// <summary>The score of a member for a key in rendezvous hashing: both hashes combined and mixed again.</summary>
    public static ulong Combine(ulong keyHash, ulong memberHash) => Mix(keyHash ^ (memberHash * 0x9e3779b97f4a7c15UL));
}
