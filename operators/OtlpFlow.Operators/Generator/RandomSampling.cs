using Google.Protobuf;

namespace OtlpFlow.Operators.Generator;

/// <summary>Draws from the distributions the generator needs, all from one seeded <see cref="Random"/>.</summary>
internal static class RandomSampling
{
    private const double NanosPerMilli = 1_000_000;

    // A minute caps the Pareto tail: real servers time requests out long before it.
    private const double MaxLatencyMs = 60_000;

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public static bool Chance(this Random random, double p) => random.NextDouble() < p;

    /// <summary>One item of a non-empty array.</summary>
    public static T Pick<T>(this Random random, T[] items) => items[random.Next(items.Length)];

    /// <summary>A uniform double in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public static double Between(this Random random, double min, double max) => min + (random.NextDouble() * (max - min));

    /// <summary>A standard normal draw (Box–Muller).</summary>
    public static double Normal(this Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>
    /// A latency in milliseconds around <paramref name="medianMs"/> with a long tail: mostly
    /// log-normal, and a few percent from a Pareto tail, which is how slow requests look in practice.
    /// </summary>
    public static double LatencyMs(this Random random, double medianMs)
    {
        double value;
        if (random.NextDouble() < 0.03)
        {
            // Pareto with scale 4× the median and shape 1.3: rare, very slow requests.
            value = medianMs * 4 / Math.Pow(1.0 - random.NextDouble(), 1.0 / 1.3);
        }
        else
        {
            value = medianMs * Math.Exp(0.7 * random.Normal());
        }

        return Math.Min(value, MaxLatencyMs);
    }

    /// <summary><see cref="LatencyMs"/> in nanoseconds, at least one microsecond.</summary>
    public static ulong LatencyNanos(this Random random, double medianMs) =>
        Math.Max(1_000UL, (ulong)(random.LatencyMs(medianMs) * NanosPerMilli));

    /// <summary>A random id of <paramref name="length"/> bytes that is never all zero (an invalid id in OTLP).</summary>
    public static ByteString Id(this Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        if (bytes.AsSpan().IndexOfAnyExcept((byte)0) < 0)
        {
            bytes[^1] = 1;
        }

        // The array is ours alone and never written again, so wrapping it without a copy is safe.
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }

    /// <summary>Random bytes of <paramref name="length"/> as a <see cref="ByteString"/>.</summary>
    public static ByteString Bytes(this Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }
}
