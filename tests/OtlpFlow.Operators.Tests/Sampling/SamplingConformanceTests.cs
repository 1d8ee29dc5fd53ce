using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using OtlpFlow.Conformance;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Sampling;
using static OtlpFlow.Operators.Tests.Sampling.SamplingTestData;

namespace OtlpFlow.Operators.Tests.Sampling;

/// <summary>
/// The specification's probability → threshold table and the Collector's consistent-probability
/// sampling vectors (tests/Conformance/data/sampling, see SOURCES.md): each vector is one case.
/// </summary>
public sealed class SamplingConformanceTests
{
    /// <summary>
    /// The precision the Collector's probabilistic sampler uses when a case gives none
    /// (<c>sampling_precision</c> defaults to 4 there; ours defaults to 5).
    /// </summary>
    private const int ContribDefaultPrecision = 4;

    private static JsonElement Load(string file)
    {
        using var document = ConformanceData.ReadJson("sampling/" + file);
        return document.RootElement.Clone();
    }

    public static TheoryData<int, double, int, string> SpecTable()
    {
        var data = new TheoryData<int, double, int, string>();
        foreach (var row in Load("spec_probability_table.json").GetProperty("rows").EnumerateArray())
        {
            foreach (var threshold in row.GetProperty("threshold").EnumerateObject())
            {
                data.Add(row.GetProperty("oneInN").GetInt32(), row.GetProperty("probability").GetDouble(),
                    int.Parse(threshold.Name, CultureInfo.InvariantCulture), threshold.Value.GetString()!);
            }
        }

        return data;
    }

    public static TheoryData<string, double, int, string> ContribPrecision()
    {
        var data = new TheoryData<string, double, int, string>();
        foreach (var row in Load("contrib_pkg_sampling_precision.json").GetProperty("cases").EnumerateArray())
        {
            data.Add(row.GetProperty("probabilityExpr").GetString()!, row.GetProperty("probability").GetDouble(),
                row.GetProperty("precision").GetInt32(), row.GetProperty("threshold").GetString()!);
        }

        return data;
    }

    public static TheoryData<int, string, double, string, string> Updates()
    {
        var file = Load("contrib_pkg_sampling_update.json");
        var traceId = file.GetProperty("traceId").GetString()!;
        var data = new TheoryData<int, string, double, string, string>();
        var index = 0;
        foreach (var row in file.GetProperty("cases").EnumerateArray())
        {
            data.Add(index++, traceId, row.GetProperty("probability").GetDouble(), row.GetProperty("in").GetString()!, row.GetProperty("out").GetString()!);
        }

        return data;
    }

    public static TheoryData<string, string, double, int, string, string, bool, string> TraceStates()
    {
        var data = new TheoryData<string, string, double, int, string, string, bool, string>();
        foreach (var row in Load("contrib_probabilisticsampler_tracestate.json").GetProperty("cases").EnumerateArray())
        {
            var precision = row.GetProperty("precision").ValueKind == JsonValueKind.Number ? row.GetProperty("precision").GetInt32() : ContribDefaultPrecision;
            foreach (var mode in new[] { "equalizing", "proportional" })
            {
                var expected = row.GetProperty(mode);
                data.Add(row.GetProperty("name").GetString()!, mode, row.GetProperty("ratio").GetDouble(), precision,
                    row.GetProperty("traceId").GetString()!, row.GetProperty("traceState").GetString()!,
                    expected.GetProperty("sampled").GetBoolean(), expected.GetProperty("traceState").GetString()!);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SpecTable))]
    public void The_specification_table_gives_each_threshold(int oneInN, double probability, int precision, string threshold)
    {
        Assert.Equal(threshold, ConsistentProbability.FormatThreshold(ConsistentProbability.ThresholdFromProbability(probability, precision)));
        Assert.True(oneInN > 0);
    }

    [Theory]
    [MemberData(nameof(ContribPrecision))]
    public void The_collector_precision_cases_give_each_threshold(string probabilityExpr, double probability, int precision, string threshold)
    {
        Assert.Equal(threshold, ConsistentProbability.FormatThreshold(ConsistentProbability.ThresholdFromProbability(probability, precision)));
        Assert.NotEmpty(probabilityExpr);
    }

    /// <summary>
    /// contrib's <c>UpdateTValueWithSampling</c>: a stage may only raise th (a lower one is
    /// ErrInconsistentSampling and leaves th as it was), which is the equalizing sampler
    /// <c>sampling.traceIdRatio</c>. The trace id's randomness is the maximum, so every case is kept.
    /// </summary>
    [Theory]
    [MemberData(nameof(Updates))]
    public async Task The_collector_tracestate_update_cases_give_each_th(int index, string traceId, double probability, string before, string after)
    {
        var (sampled, traceState) = await SampleAsync("equalizing", probability, ContribDefaultPrecision, traceId, before.Length == 0 ? string.Empty : "ot=" + before);

        Assert.True(sampled, $"case {index}");
        Assert.Equal(Canonical("ot=" + after), Canonical(traceState));
    }

    /// <summary>
    /// contrib's probabilistic sampler in its equalizing mode is <c>sampling.traceIdRatio</c>, in
    /// its proportional mode <c>sampling.consistent</c> with <c>mode: proportional</c>.
    /// </summary>
    [Theory]
    [MemberData(nameof(TraceStates))]
    public async Task The_collector_probabilistic_sampler_cases_give_each_decision_and_tracestate(
        string name, string mode, double ratio, int precision, string traceId, string traceState, bool sampled, string expectedTraceState)
    {
        var (kept, actual) = await SampleAsync(mode, ratio, precision, traceId, traceState);

        Assert.True(sampled == kept, $"{name} ({mode}): expected {(sampled ? "kept" : "dropped")}, was {(kept ? "kept with " + actual : "dropped")}");
        if (sampled)
        {
            Assert.Equal(Canonical(expectedTraceState), Canonical(actual));
        }
    }

    private static async Task<(bool Kept, string TraceState)> SampleAsync(string mode, double ratio, int precision, string traceId, string traceState)
    {
        var context = TestOperatorContext.Create("sampler");
        ProcessorOperator sampler = mode switch
        {
            "equalizing" => new TraceIdRatioOperator(new TraceIdRatioOptions { Ratio = ratio, Precision = precision }, context),
            "proportional" => new ConsistentSamplingOperator(new ConsistentSamplingOptions { Ratio = ratio, Precision = precision, Mode = ConsistentSamplingMode.Proportional }, context),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
        };
        var output = new RecordingOutput();

        await sampler.ProcessAsync(Batch(Span(ByteString.CopyFrom(Convert.FromHexString(traceId)), traceState, id: 1)), output, default);

        var kept = Spans(output.On()).ToList();
        Assert.Equal(1, kept.Count + output.ItemsDropped);
        return kept.Count == 1 ? (true, kept[0].TraceState) : (false, string.Empty);
    }

    /// <summary>
    /// The tracestate with the sub-keys of its <c>ot</c> entry in ordinal order. The order of
    /// <c>ot</c> sub-keys carries no meaning (the specification's tracestate handling defines none):
    /// contrib writes <c>rv</c> before <c>th</c>, we put a newly added <c>th</c> first. Everything
    /// else, including the spelling of each value, is compared exactly.
    /// </summary>
    private static string Canonical(string traceState) => string.Join(",", traceState
        .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
        .Select(member => member.StartsWith("ot=", StringComparison.Ordinal)
            ? "ot=" + string.Join(";", member[3..].Split(';').Order(StringComparer.Ordinal))
            : member));
}
