using OtlpFlow.Operators.Sampling;

namespace OtlpFlow.Operators.Tests.Sampling;

public sealed class ConsistentProbabilityTests
{
    [Theory]
    [InlineData(0.01, "fd70a4")]
    [InlineData(0.25, "c")]
    [InlineData(0.5, "8")]
    [InlineData(1.0, "0")]
    [InlineData(0.125, "e")]
    [InlineData(0.0625, "f")]
    public void Threshold_of_the_specification_examples_at_default_precision(double probability, string th)
    {
        Assert.Equal(th, ConsistentProbability.FormatThreshold(ConsistentProbability.ThresholdFromProbability(probability)));
    }

    [Theory]
    [InlineData(1.0 / 3, 3, "aab")]
    [InlineData(1.0 / 3, 4, "aaab")]
    [InlineData(1.0 / 3, 5, "aaaab")]
    [InlineData(0.2, 4, "cccd")]
    [InlineData(0.1, 3, "e66")]
    [InlineData(0.1, 4, "e666")]
    [InlineData(0.01, 3, "fd71")]
    [InlineData(0.01, 4, "fd70a")]
    [InlineData(0.001, 4, "ffbe77")]
    [InlineData(0.001, 5, "ffbe76d")]
    [InlineData(0.0001, 4, "fff9724")]
    [InlineData(0.00001, 4, "ffff583a")]
    [InlineData(0.000001, 4, "ffffef39")]
    [InlineData(0.000001, 5, "ffffef391")]
    public void Threshold_matches_the_specification_table_at_each_precision(double probability, int precision, string th)
    {
        Assert.Equal(th, ConsistentProbability.FormatThreshold(ConsistentProbability.ThresholdFromProbability(probability, precision)));
    }

    [Fact]
    public void Threshold_is_one_minus_p_times_two_to_the_56()
    {
        Assert.Equal(3UL << 54, ConsistentProbability.ThresholdFromProbability(0.25));
        Assert.Equal(0xfd70a400000000UL, ConsistentProbability.ThresholdFromProbability(0.01));
        Assert.Equal(0.25, ConsistentProbability.Probability(3UL << 54));
        Assert.Equal(4.0, ConsistentProbability.AdjustedCount(3UL << 54));
    }

    [Fact]
    public void Probability_zero_keeps_nothing_and_is_never_written()
    {
        var t = ConsistentProbability.ThresholdFromProbability(0);
        Assert.Equal(ConsistentProbability.NeverKeep, t);
        Assert.False(ConsistentProbability.Keeps(ConsistentProbability.Mask56, t));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConsistentProbability.FormatThreshold(t));
    }

    [Theory]
    [InlineData("0", 0UL)]
    [InlineData("8", 0x80000000000000UL)]
    [InlineData("fd70a4", 0xfd70a400000000UL)]
    [InlineData("ffffffffffffff", 0xffffffffffffffUL)]
    public void Threshold_text_parses_with_trailing_zeros_implied(string text, ulong expected)
    {
        Assert.True(ConsistentProbability.TryParseThreshold(text, out var t));
        Assert.Equal(expected, t);
    }

    [Theory]
    [InlineData("")]
    [InlineData("FD")]
    [InlineData("fffffffffffffff")]
    [InlineData("xyz")]
    public void Invalid_threshold_text_is_refused(string text)
    {
        Assert.False(ConsistentProbability.TryParseThreshold(text, out _));
    }

    [Fact]
    public void Randomness_needs_exactly_14_hex_digits()
    {
        Assert.True(ConsistentProbability.TryParseRandomness("0123456789abcd", out var rv));
        Assert.Equal(0x0123456789abcdUL, rv);
        Assert.False(ConsistentProbability.TryParseRandomness("123456789abcd", out _));
        Assert.Equal("0123456789abcd", ConsistentProbability.FormatRandomness(rv));
    }

    [Fact]
    public void Trace_id_randomness_is_its_last_7_bytes_big_endian()
    {
        var id = Convert.FromHexString("0af7651916cd43dd8448eb211c80319c");
        Assert.Equal(0x48eb211c80319cUL, ConsistentProbability.RandomnessFromTraceId(id));
    }

    [Fact]
    public void A_higher_ratio_keeps_a_superset_of_what_a_lower_one_keeps()
    {
        var random = new Random(7);
        var ratios = new[] { 0.001, 0.01, 0.1, 0.25, 1.0 / 3, 0.5, 0.9, 1.0 };
        var thresholds = ratios.Select(r => ConsistentProbability.ThresholdFromProbability(r)).ToArray();
        for (var n = 0; n < 20000; n++)
        {
            var r = (ulong)random.NextInt64() & ConsistentProbability.Mask56;
            for (var k = 1; k < ratios.Length; k++)
            {
                if (ConsistentProbability.Keeps(r, thresholds[k - 1]))
                {
                    Assert.True(ConsistentProbability.Keeps(r, thresholds[k]), $"ratio {ratios[k]} drops what {ratios[k - 1]} keeps");
                }
            }
        }
    }
}
