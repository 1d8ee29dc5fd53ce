using BenchmarkDotNet.Attributes;
using OtlpFlow.Operators.Sampling;

namespace OtlpFlow.Benchmarks.Sampling;

/// <summary>
/// Consistent-sampling decisions over a batch: "keep iff R ≥ T" and randomness from packed trace
/// ids, vectorized (System.Runtime.Intrinsics) against the scalar loop (the baseline).
/// </summary>
[MemoryDiagnoser]
public class ThresholdDecisionBenchmarks
{
    private ulong[] _randomness = null!;
    private ulong[] _thresholds = null!;
    private byte[] _traceIds = null!;
    private byte[] _keep = null!;
    private ulong[] _extracted = null!;

    /// <summary>Items per batch.</summary>
    [Params(4096)]
    public int Items { get; set; }

    /// <summary>Random trace ids, randomness and per-item thresholds.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _traceIds = new byte[Items * 16];
        random.NextBytes(_traceIds);
        _randomness = new ulong[Items];
        ThresholdDecisions.RandomnessFromTraceIdsScalar(_traceIds, _randomness);
        _thresholds = [.. Enumerable.Range(0, Items).Select(_ => ConsistentProbability.ThresholdFromProbability(random.NextDouble()))];
        _keep = new byte[Items];
        _extracted = new ulong[Items];
    }

    /// <summary>One threshold, scalar.</summary>
    [Benchmark(Baseline = true)]
    public int DecideScalar() => ThresholdDecisions.DecideScalar(_randomness, 0xc0000000000000UL, _keep);

    /// <summary>One threshold, vectorized.</summary>
    [Benchmark]
    public int DecideVectorized() => ThresholdDecisions.Decide(_randomness, 0xc0000000000000UL, _keep);

    /// <summary>A threshold per item, scalar.</summary>
    [Benchmark]
    public int DecidePerItemScalar() => ThresholdDecisions.DecideScalar(_randomness, _thresholds, _keep);

    /// <summary>A threshold per item, vectorized.</summary>
    [Benchmark]
    public int DecidePerItemVectorized() => ThresholdDecisions.Decide(_randomness, _thresholds, _keep);

    /// <summary>Randomness from packed trace ids, scalar.</summary>
    [Benchmark]
    public ulong RandomnessScalar()
    {
        ThresholdDecisions.RandomnessFromTraceIdsScalar(_traceIds, _extracted);
        return _extracted[^1];
    }

    /// <summary>Randomness from packed trace ids, vectorized byte shuffle.</summary>
    [Benchmark]
    public ulong RandomnessVectorized()
    {
        ThresholdDecisions.RandomnessFromTraceIds(_traceIds, _extracted);
        return _extracted[^1];
    }
}
