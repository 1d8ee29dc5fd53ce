using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// The batch kernels of consistent sampling: randomness from packed trace ids and "keep iff
/// R ≥ T" over whole arrays. Each has a vectorized form (System.Runtime.Intrinsics, used when the
/// hardware accelerates it) and a scalar form; both give the same result on every input, which the
/// tests check on random data.
/// </summary>
/// <remarks>
/// Randomness and thresholds are below 2^57, so comparing them as signed 64-bit lanes gives the
/// unsigned answer; that keeps the compare a single instruction on AVX2, which has no unsigned
/// 64-bit compare.
/// </remarks>
internal static class ThresholdDecisions
{
    private const int TraceIdBytes = 16;

    /// <summary>True when <see cref="Decide(ReadOnlySpan{ulong}, ulong, Span{byte})"/> and its siblings run vectorized here.</summary>
    public static bool IsVectorized => Vector256.IsHardwareAccelerated || Vector128.IsHardwareAccelerated;

    /// <summary>
    /// Sets <c>keep[i]</c> to 1 when <c>randomness[i] ≥ threshold</c>, else 0, and returns how many are kept.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="keep"/> is shorter than <paramref name="randomness"/>.</exception>
    public static int Decide(ReadOnlySpan<ulong> randomness, ulong threshold, Span<byte> keep)
    {
        CheckLengths(randomness.Length, randomness.Length, keep.Length);
        var t = (long)Math.Min(threshold, ConsistentProbability.NeverKeep);
        var r = MemoryMarshal.Cast<ulong, long>(randomness);
        var i = 0;
        var kept = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var tv = Vector256.Create(t);
            var rmask = Vector256.Create((long)ConsistentProbability.Mask56);
            for (; i <= r.Length - 32; i += 32)
            {
                kept += Store32(
                    Vector256.GreaterThanOrEqual(Vector256.Create(r[i..]) & rmask, tv),
                    Vector256.GreaterThanOrEqual(Vector256.Create(r[(i + 4)..]) & rmask, tv),
                    Vector256.GreaterThanOrEqual(Vector256.Create(r[(i + 8)..]) & rmask, tv),
                    Vector256.GreaterThanOrEqual(Vector256.Create(r[(i + 12)..]) & rmask, tv),
                    Vector256.GreaterThanOrEqual(Vector256.Create(r[(i + 16)..]) & rmask, tv),
                    Vector256.GreaterThanOrEqual(Vector256.Create(r[(i + 20)..]) & rmask, tv),
                    Vector256.GreaterThanOrEqual(Vector256.Create(r[(i + 24)..]) & rmask, tv),
                    Vector256.GreaterThanOrEqual(Vector256.Create(r[(i + 28)..]) & rmask, tv),
                    keep[i..]);
            }

            for (; i <= r.Length - Vector256<long>.Count; i += Vector256<long>.Count)
            {
                var mask = Vector256.GreaterThanOrEqual(Vector256.Create(r[i..]) & rmask, tv).ExtractMostSignificantBits();
                kept += WriteFlags(mask, Vector256<long>.Count, keep[i..]);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var tv = Vector128.Create(t);
            var rmask = Vector128.Create((long)ConsistentProbability.Mask56);
            for (; i <= r.Length - Vector128<long>.Count; i += Vector128<long>.Count)
            {
                var mask = Vector128.GreaterThanOrEqual(Vector128.Create(r[i..]) & rmask, tv).ExtractMostSignificantBits();
                kept += WriteFlags(mask, Vector128<long>.Count, keep[i..]);
            }
        }

        return kept + DecideScalar(randomness[i..], threshold, keep[i..]);
    }

    /// <summary>The scalar form of <see cref="Decide(ReadOnlySpan{ulong}, ulong, Span{byte})"/>.</summary>
    public static int DecideScalar(ReadOnlySpan<ulong> randomness, ulong threshold, Span<byte> keep)
    {
        CheckLengths(randomness.Length, randomness.Length, keep.Length);
        var kept = 0;
        threshold = Math.Min(threshold, ConsistentProbability.NeverKeep);
        for (var i = 0; i < randomness.Length; i++)
        {
            var k = (randomness[i] & ConsistentProbability.Mask56) >= threshold ? (byte)1 : (byte)0;
            keep[i] = k;
            kept += k;
        }

        return kept;
    }

    /// <summary>
    /// Per-item thresholds: sets <c>keep[i]</c> to 1 when <c>randomness[i] ≥ thresholds[i]</c>, else 0,
    /// and returns how many are kept. Thresholds above 2^56 count as 2^56 (keep nothing).
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length or <paramref name="keep"/> is shorter.</exception>
    public static int Decide(ReadOnlySpan<ulong> randomness, ReadOnlySpan<ulong> thresholds, Span<byte> keep)
    {
        CheckLengths(randomness.Length, thresholds.Length, keep.Length);
        var r = MemoryMarshal.Cast<ulong, long>(randomness);
        var t = MemoryMarshal.Cast<ulong, long>(thresholds);
        var i = 0;
        var kept = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var cap = Vector256.Create((long)ConsistentProbability.NeverKeep);
            var rmask = Vector256.Create((long)ConsistentProbability.Mask56);
            for (; i <= r.Length - 32; i += 32)
            {
                kept += Store32(
                    Compare(r, t, i, rmask, cap),
                    Compare(r, t, i + 4, rmask, cap),
                    Compare(r, t, i + 8, rmask, cap),
                    Compare(r, t, i + 12, rmask, cap),
                    Compare(r, t, i + 16, rmask, cap),
                    Compare(r, t, i + 20, rmask, cap),
                    Compare(r, t, i + 24, rmask, cap),
                    Compare(r, t, i + 28, rmask, cap),
                    keep[i..]);
            }

            for (; i <= r.Length - Vector256<long>.Count; i += Vector256<long>.Count)
            {
                // Unsigned min through the signed compare: a threshold with the top bit set reads as
                // negative, so clamp those first.
                var tv = Vector256.Create(t[i..]);
                tv = Vector256.ConditionalSelect(Vector256.LessThan(tv, Vector256<long>.Zero) | Vector256.GreaterThan(tv, cap), cap, tv);
                var mask = Vector256.GreaterThanOrEqual(Vector256.Create(r[i..]) & rmask, tv).ExtractMostSignificantBits();
                kept += WriteFlags(mask, Vector256<long>.Count, keep[i..]);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var cap = Vector128.Create((long)ConsistentProbability.NeverKeep);
            var rmask = Vector128.Create((long)ConsistentProbability.Mask56);
            for (; i <= r.Length - Vector128<long>.Count; i += Vector128<long>.Count)
            {
                var tv = Vector128.Create(t[i..]);
                tv = Vector128.ConditionalSelect(Vector128.LessThan(tv, Vector128<long>.Zero) | Vector128.GreaterThan(tv, cap), cap, tv);
                var mask = Vector128.GreaterThanOrEqual(Vector128.Create(r[i..]) & rmask, tv).ExtractMostSignificantBits();
                kept += WriteFlags(mask, Vector128<long>.Count, keep[i..]);
            }
        }

        return kept + DecideScalar(randomness[i..], thresholds[i..], keep[i..]);
    }

    /// <summary>The scalar form of <see cref="Decide(ReadOnlySpan{ulong}, ReadOnlySpan{ulong}, Span{byte})"/>.</summary>
    public static int DecideScalar(ReadOnlySpan<ulong> randomness, ReadOnlySpan<ulong> thresholds, Span<byte> keep)
    {
        CheckLengths(randomness.Length, thresholds.Length, keep.Length);
        var kept = 0;
        for (var i = 0; i < randomness.Length; i++)
        {
            var k = (randomness[i] & ConsistentProbability.Mask56) >= Math.Min(thresholds[i], ConsistentProbability.NeverKeep) ? (byte)1 : (byte)0;
            keep[i] = k;
            kept += k;
        }

        return kept;
    }

    /// <summary>
    /// The randomness of trace ids packed 16 bytes each (the last 7 bytes of each, big-endian).
    /// Vectorized with a byte shuffle that reverses those 7 bytes into a little-endian 64-bit lane.
    /// </summary>
    /// <exception cref="ArgumentException">The byte count is not 16 × the output length.</exception>
    public static void RandomnessFromTraceIds(ReadOnlySpan<byte> traceIds, Span<ulong> randomness)
    {
        CheckPacked(traceIds.Length, randomness.Length);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Two ids per vector; each 128-bit lane shuffles within itself (one vpshufb on AVX2).
            // Byte k of lane 0 of the result is byte 15-k of id 0 for k < 7; index 0x80 gives zero.
            var shuffle = Vector256.Create(
                (byte)15, 14, 13, 12, 11, 10, 9, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                31, 30, 29, 28, 27, 26, 25, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80);
            for (; i <= randomness.Length - 2; i += 2)
            {
                var lanes = Vector256.Shuffle(Vector256.Create(traceIds[(i * TraceIdBytes)..]), shuffle).AsUInt64();
                randomness[i] = lanes.GetElement(0);
                randomness[i + 1] = lanes.GetElement(2);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var shuffle = Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80);
            for (; i < randomness.Length; i++)
            {
                randomness[i] = Vector128.Shuffle(Vector128.Create(traceIds[(i * TraceIdBytes)..]), shuffle).AsUInt64().ToScalar();
            }
        }

        RandomnessFromTraceIdsScalar(traceIds[(i * TraceIdBytes)..], randomness[i..]);
    }

    /// <summary>The scalar form of <see cref="RandomnessFromTraceIds"/>.</summary>
    public static void RandomnessFromTraceIdsScalar(ReadOnlySpan<byte> traceIds, Span<ulong> randomness)
    {
        CheckPacked(traceIds.Length, randomness.Length);
        for (var i = 0; i < randomness.Length; i++)
        {
            randomness[i] = BinaryPrimitives.ReadUInt64BigEndian(traceIds.Slice((i * TraceIdBytes) + 8, 8)) & ConsistentProbability.Mask56;
        }
    }

    /// <summary>R ≥ T for 4 lanes with per-lane thresholds, a threshold outside [0, 2^56] counting as 2^56.</summary>
    private static Vector256<long> Compare(ReadOnlySpan<long> r, ReadOnlySpan<long> t, int at, Vector256<long> rmask, Vector256<long> cap)
    {
        var tv = Vector256.Create(t[at..]);
        tv = Vector256.ConditionalSelect(Vector256.LessThan(tv, Vector256<long>.Zero) | Vector256.GreaterThan(tv, cap), cap, tv);
        return Vector256.GreaterThanOrEqual(Vector256.Create(r[at..]) & rmask, tv);
    }

    /// <summary>
    /// Narrows 32 all-ones/all-zeros 64-bit lanes to 32 bytes, stores them as 1/0 flags and returns
    /// how many are set: one store instead of 32.
    /// </summary>
    private static int Store32(
        Vector256<long> m0, Vector256<long> m1, Vector256<long> m2, Vector256<long> m3,
        Vector256<long> m4, Vector256<long> m5, Vector256<long> m6, Vector256<long> m7,
        Span<byte> keep)
    {
        var w0 = Vector256.Narrow(Vector256.Narrow(m0, m1), Vector256.Narrow(m2, m3));
        var w1 = Vector256.Narrow(Vector256.Narrow(m4, m5), Vector256.Narrow(m6, m7));
        var bytes = Vector256.Narrow(w0, w1).AsByte();
        (bytes & Vector256<byte>.One).CopyTo(keep);
        return BitOperations.PopCount(bytes.ExtractMostSignificantBits());
    }

    private static int WriteFlags(uint mask, int lanes, Span<byte> keep)
    {
        for (var lane = 0; lane < lanes; lane++)
        {
            keep[lane] = (byte)((mask >> lane) & 1);
        }

        return BitOperations.PopCount(mask);
    }

    private static void CheckLengths(int randomness, int thresholds, int keep)
    {
        if (randomness != thresholds)
        {
            throw new ArgumentException($"Randomness ({randomness}) and thresholds ({thresholds}) must have the same length.", nameof(thresholds));
        }

        if (keep < randomness)
        {
            throw new ArgumentException($"The decisions span ({keep}) is shorter than the input ({randomness}).", nameof(keep));
        }
    }

    private static void CheckPacked(int bytes, int ids)
    {
        if (bytes != ids * TraceIdBytes)
        {
            throw new ArgumentException($"Expected {ids * TraceIdBytes} bytes for {ids} trace ids, got {bytes}.", nameof(bytes));
        }
    }
}
