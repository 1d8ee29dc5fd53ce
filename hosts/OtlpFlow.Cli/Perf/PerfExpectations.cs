using System.Text.Json;
using System.Text.Json.Nodes;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Cli.Perf;

/// <summary>
/// The <c>"expect"</c> section of a perf graph: limits a run must meet, or <c>otlpflow perf</c>
/// exits with <see cref="PerfCommand.ExpectationsFailed"/>.
/// </summary>
internal sealed class PerfExpectations
{
    private static readonly string[] Keys = ["minItemsPerSecond", "maxDropRatio", "maxP99Ms", "maxPeakWorkingSet", "maxGcPauseRatio"];

    /// <summary>The least items per second the sources must emit over the measured window; null for no limit.</summary>
    public double? MinItemsPerSecond { get; init; }

    /// <summary>The largest share of generated items that may be dropped, from 0 to 1; null for no limit.</summary>
    public double? MaxDropRatio { get; init; }

    /// <summary>The largest 99th-percentile end-to-end latency in milliseconds; null for no limit.</summary>
    public double? MaxP99Ms { get; init; }

    /// <summary>The largest peak working set of the process in bytes (a size such as <c>"400MiB"</c> in the file); null for no limit.</summary>
    public long? MaxPeakWorkingSet { get; init; }

    /// <summary>The largest share of the measured window the garbage collector may pause the process, from 0 to 1; null for no limit.</summary>
    public double? MaxGcPauseRatio { get; init; }

    /// <summary>Reads the <c>"expect"</c> section of the file at <paramref name="path"/>; problems are located like the loader's.</summary>
    public static PerfExpectations Read(string path, PipelineSpec spec, List<PipelineError> errors)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(errors);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllBytes(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            // The loader has read this file already; a problem here is reported by it.
            return new PerfExpectations();
        }

        if (root?["expect"] is not { } expect)
        {
            return new PerfExpectations();
        }

        if (expect is not JsonObject section)
        {
            errors.Add(spec.Error(null, "$.expect", "'expect' must be an object such as { \"minItemsPerSecond\": 100000, \"maxDropRatio\": 0 }"));
            return new PerfExpectations();
        }

        foreach (var (key, _) in section)
        {
            if (!Keys.Contains(key, StringComparer.Ordinal))
            {
                errors.Add(spec.Error(null, "$.expect." + key, $"unknown expectation '{key}' (known: {string.Join(", ", Keys)})"));
            }
        }

        double? Number(string key, double min, double max)
        {
            if (section[key] is not { } node)
            {
                return null;
            }

            if (node is JsonValue v && v.TryGetValue<double>(out var number) && number >= min && number <= max)
            {
                return number;
            }

            errors.Add(spec.Error(null, "$.expect." + key, $"'expect.{key}' must be a number from {min} to {max}, got {node.ToJsonString()}"));
            return null;
        }

        long? Size(string key)
        {
            if (section[key] is not { } node)
            {
                return null;
            }

            if (node is JsonValue v)
            {
                if (v.TryGetValue<string>(out var text) && ByteSize.TryParse(text, out var size) && size.Bytes > 0)
                {
                    return size.Bytes;
                }

                if (v.TryGetValue<long>(out var bytes) && bytes > 0)
                {
                    return bytes;
                }
            }

            errors.Add(spec.Error(null, "$.expect." + key, $"'expect.{key}' must be a size such as \"400MiB\", got {node.ToJsonString()}"));
            return null;
        }

        return new PerfExpectations
        {
            MaxPeakWorkingSet = Size("maxPeakWorkingSet"),
            MaxGcPauseRatio = Number("maxGcPauseRatio", 0, 1),
            MinItemsPerSecond = Number("minItemsPerSecond", 0, double.MaxValue),
            MaxDropRatio = Number("maxDropRatio", 0, 1),
            MaxP99Ms = Number("maxP99Ms", 0, double.MaxValue),
        };
    }

    /// <summary>Each expectation set, checked against <paramref name="result"/>.</summary>
    public IReadOnlyList<PerfExpectationResult> Check(PerfResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var checks = new List<PerfExpectationResult>();
        if (MinItemsPerSecond is { } min)
        {
            checks.Add(new PerfExpectationResult("minItemsPerSecond", min, result.ItemsPerSecond, result.ItemsPerSecond >= min));
        }

        if (MaxDropRatio is { } ratio)
        {
            checks.Add(new PerfExpectationResult("maxDropRatio", ratio, result.DropRatio, result.DropRatio <= ratio));
        }

        if (MaxP99Ms is { } p99)
        {
            checks.Add(new PerfExpectationResult("maxP99Ms", p99, result.LatencyMs.P99, result.LatencyMs.P99 <= p99));
        }

        if (MaxPeakWorkingSet is { } peak)
        {
            checks.Add(new PerfExpectationResult("maxPeakWorkingSet", peak, result.PeakMemoryBytes, result.PeakMemoryBytes <= peak));
        }

        if (MaxGcPauseRatio is { } pause)
        {
            checks.Add(new PerfExpectationResult("maxGcPauseRatio", pause, result.GcPauseRatio, result.GcPauseRatio <= pause));
        }

        return checks;
    }
}
