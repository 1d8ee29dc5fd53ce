using OtlpFlow.Operators.Sampling;

namespace OtlpFlow.Operators.Tests.Sampling;

public sealed class ThresholdDecisionsTests
{
    private static ulong[] RandomValues(Random random, int count, bool wild)
    {
        var values = new ulong[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = random.Next(10) switch
            {
                0 => 0,
                1 => ConsistentProbability.Mask56,
                2 => ConsistentProbability.NeverKeep,
                3 when wild => ulong.MaxValue - (ulong)random.Next(1000),
                4 => 1UL << 55,
                _ => (ulong)random.NextInt64() & (wild ? ulong.MaxValue : ConsistentProbability.Mask56),
            };
        }

        return values;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(33)]
    [InlineData(512)]
    [InlineData(1001)]
    public void Vectorized_and_scalar_decisions_agree_on_random_batches(int count)
    {
        var random = new Random(count + 1);
        for (var round = 0; round < 50; round++)
        {
            var r = RandomValues(random, count, wild: round % 2 == 0);
            var t = RandomValues(random, count, wild: round % 3 == 0);
            var single = t.Length > 0 ? t[0] : 0x80000000000000UL;

            var vector = new byte[count];
            var scalar = new byte[count];
            Assert.Equal(ThresholdDecisions.DecideScalar(r, single, scalar), ThresholdDecisions.Decide(r, single, vector));
            Assert.Equal(scalar, vector);

            Assert.Equal(ThresholdDecisions.DecideScalar(r, t, scalar), ThresholdDecisions.Decide(r, t, vector));
            Assert.Equal(scalar, vector);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(512)]
    public void Vectorized_and_scalar_trace_id_randomness_agree(int count)
    {
        var random = new Random(count);
        var ids = new byte[count * 16];
        random.NextBytes(ids);
        var vector = new ulong[count];
        var scalar = new ulong[count];
        ThresholdDecisions.RandomnessFromTraceIds(ids, vector);
        ThresholdDecisions.RandomnessFromTraceIdsScalar(ids, scalar);
        Assert.Equal(scalar, vector);
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(ConsistentProbability.RandomnessFromTraceId(ids.AsSpan(i * 16, 16)), scalar[i]);
        }
    }

    [Fact]
    public void Keep_iff_randomness_is_at_least_the_threshold()
    {
        var t = 0x80000000000000UL;
        var keep = new byte[3];
        var kept = ThresholdDecisions.Decide([t - 1, t, t + 1], t, keep);
        Assert.Equal(2, kept);
        Assert.Equal(new byte[] { 0, 1, 1 }, keep);
    }
}
