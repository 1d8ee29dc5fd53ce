using System.ComponentModel.DataAnnotations;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Generator;

/// <summary>Options of the <c>generate</c> source, which makes synthetic traces, metrics or logs.</summary>
public sealed class GeneratorOptions
{
    /// <summary>Which signal to make: <c>traces</c>, <c>metrics</c> or <c>logs</c>. Default <c>traces</c>.</summary>
    public Signal Signal { get; set; } = Signal.Traces;

    /// <summary>
    /// How many items (spans, data points or log records) to emit before the source completes;
    /// 0 emits until the pipeline stops. Default 0.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long Count { get; set; }

    /// <summary>Items per second, paced per batch; 0 emits as fast as downstream accepts. Default 0.</summary>
    [Range(0, double.MaxValue)]
    public double Rate { get; set; }

    /// <summary>Items per batch (the last batch of a bounded run may be smaller). Default 512.</summary>
    [Range(1, 1_000_000)]
    public int BatchSize { get; set; } = 512;

    /// <summary>Seed of the random source: the same seed gives the same data, byte for byte. Default 1.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Number of distinct services (resources) the data comes from. Default 5.</summary>
    [Range(1, 10_000)]
    public int Services { get; set; } = 5;

    /// <summary>
    /// Where timestamps start: <c>fixed</c> (2026-01-01T00:00:00Z, reproducible) or <c>now</c> (the
    /// pipeline clock). Either way they advance by 1/<see cref="Rate"/> seconds per item, or 100 µs
    /// per item when the rate is 0. Default <c>fixed</c>.
    /// </summary>
    public GeneratorTimestamps Timestamps { get; set; } = GeneratorTimestamps.Fixed;
}
