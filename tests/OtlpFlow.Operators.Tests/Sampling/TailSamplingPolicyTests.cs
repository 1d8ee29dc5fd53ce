using OpenTelemetry.Proto.Trace.V1;
using static OtlpFlow.Operators.Tests.Sampling.SamplingTestData;

namespace OtlpFlow.Operators.Tests.Sampling;

/// <summary>Each policy keeps one trace and drops another; both are decided by a drain.</summary>
public class TailSamplingPolicyTests
{
    /// <summary>Batches go in as objects here, and as encoded bytes in <see cref="TailSamplingPolicyEncodedTests"/>.</summary>
    protected virtual bool Encoded => false;

    private const ulong High = 0xf0000000000000UL;
    private const ulong Low = 0x10000000000000UL;

    private static Span[] Trace(ulong randomness, int spans = 1, double durationMs = 10, Status.Types.StatusCode status = Status.Types.StatusCode.Unset, string traceState = "", params OpenTelemetry.Proto.Common.V1.KeyValue[] attributes)
    {
        var id = TraceId(randomness);
        return Enumerable.Range(0, spans)
            .Select(i => Span(id, traceState, id: i, parent: i == 0 ? null : 0, durationMs: durationMs, status: status, attributes: i == 0 ? attributes : []))
            .ToArray();
    }

    private async Task AssertKeepsFirstDropsSecond(string policies, Span[] keep, Span[] drop, string? dropReason = null)
    {
        await using var kit = NewKit($$"""{ "policies": {{policies}} }""");
        await kit.SendAsync([.. keep, .. drop]);
        Assert.Empty(kit.Output.Emitted); // nothing is decided before its time

        await kit.DrainAsync();

        Assert.Equal([Hex(keep[0].TraceId)], kit.TraceIds("out"));
        Assert.Equal([Hex(drop[0].TraceId)], kit.TraceIds("dropped"));
        Assert.Equal(keep.Length, kit.SpansOn("out").Count);
        Assert.Equal(drop.Length, kit.Output.Dropped[dropReason ?? "not-sampled"]);
        Assert.Equal(0, kit.Sampler.HeldTraces);
    }

    [Fact]
    public async Task Always_keeps_every_trace()
    {
        await using var kit = NewKit("""{ "policies": [ { "type": "always" } ] }""");
        await kit.SendAsync([.. Trace(High), .. Trace(Low)]);
        await kit.DrainAsync();
        Assert.Equal(2, kit.TraceIds("out").Count);
        Assert.Equal(2, kit.Sampler.Counters.KeptByReason["always-0"]);
    }

    [Fact]
    public Task Latency_keeps_slow_traces() => AssertKeepsFirstDropsSecond(
        """[ { "type": "latency", "thresholdMs": 100 } ]""", Trace(High, 2, durationMs: 150), Trace(Low, 2, durationMs: 50));

    [Fact]
    public Task Latency_with_an_upper_bound_drops_slower_traces() => AssertKeepsFirstDropsSecond(
        """[ { "type": "latency", "thresholdMs": 100, "upperThresholdMs": 200 } ]""", Trace(High, durationMs: 150), Trace(Low, durationMs: 500));

    [Fact]
    public Task Numeric_attribute_keeps_values_in_range() => AssertKeepsFirstDropsSecond(
        """[ { "type": "numericAttribute", "key": "http.response.status_code", "minValue": 500, "maxValue": 599 } ]""",
        Trace(High, 2, attributes: Int("http.response.status_code", 503)), Trace(Low, 2, attributes: Int("http.response.status_code", 200)));

    [Fact]
    public Task String_attribute_keeps_exact_values() => AssertKeepsFirstDropsSecond(
        """[ { "type": "stringAttribute", "key": "tenant", "values": ["acme", "globex"] } ]""",
        Trace(High, attributes: Str("tenant", "globex")), Trace(Low, attributes: Str("tenant", "initech")));

    [Fact]
    public Task String_attribute_matches_regular_expressions() => AssertKeepsFirstDropsSecond(
        """[ { "type": "stringAttribute", "key": "http.route", "values": ["^/api/v[12]/"], "regex": true } ]""",
        Trace(High, attributes: Str("http.route", "/api/v2/orders")), Trace(Low, attributes: Str("http.route", "/health")));

    [Fact]
    public Task String_attribute_inverted_keeps_what_does_not_match() => AssertKeepsFirstDropsSecond(
        """[ { "type": "stringAttribute", "key": "http.route", "values": ["/health"], "invert": true } ]""",
        Trace(High, attributes: Str("http.route", "/orders")), Trace(Low, attributes: Str("http.route", "/health")));

    [Fact]
    public Task Boolean_attribute_keeps_the_value() => AssertKeepsFirstDropsSecond(
        """[ { "type": "booleanAttribute", "key": "app.debug", "value": true } ]""",
        Trace(High, attributes: Bool("app.debug", true)), Trace(Low, attributes: Bool("app.debug", false)));

    [Fact]
    public Task Status_code_keeps_errors() => AssertKeepsFirstDropsSecond(
        """[ { "type": "statusCode", "codes": ["ERROR"] } ]""",
        Trace(High, 3, status: Status.Types.StatusCode.Error), Trace(Low, 3, status: Status.Types.StatusCode.Ok));

    [Fact]
    public Task Probabilistic_keeps_by_trace_id_randomness() => AssertKeepsFirstDropsSecond(
        """[ { "type": "probabilistic", "ratio": 0.5 } ]""", Trace(High), Trace(Low));

    [Fact]
    public Task Rate_limiting_keeps_traces_while_the_second_has_room() => AssertKeepsFirstDropsSecond(
        """[ { "type": "rateLimiting", "spansPerSecond": 3 } ]""", Trace(High, 2), Trace(Low, 2));

    [Fact]
    public async Task Bytes_limiting_keeps_traces_while_the_bucket_has_bytes()
    {
        var keep = Trace(High, 2);
        var drop = Trace(Low, 2);
        var perSpan = Batch([.. keep, .. drop]).SizeBytes / 4;
        await AssertKeepsFirstDropsSecond(
            $$"""[ { "type": "bytesLimiting", "bytesPerSecond": 1, "burstBytes": {{perSpan * 3}} } ]""", keep, drop);
    }

    [Fact]
    public Task Span_count_keeps_traces_with_enough_spans() => AssertKeepsFirstDropsSecond(
        """[ { "type": "spanCount", "minSpans": 3 } ]""", Trace(High, 3), Trace(Low, 1));

    [Fact]
    public Task Trace_state_keeps_matching_entries() => AssertKeepsFirstDropsSecond(
        """[ { "type": "traceState", "key": "vendor", "values": ["keep"] } ]""",
        Trace(High, traceState: "ot=th:0,vendor=keep"), Trace(Low, traceState: "vendor=other"));

    [Fact]
    public Task And_keeps_what_every_sub_policy_keeps() => AssertKeepsFirstDropsSecond(
        """[ { "type": "and", "policies": [ { "type": "latency", "thresholdMs": 100 }, { "type": "statusCode", "codes": ["ERROR"] } ] } ]""",
        Trace(High, durationMs: 150, status: Status.Types.StatusCode.Error), Trace(Low, durationMs: 150, status: Status.Types.StatusCode.Ok));

    [Fact]
    public Task Not_keeps_what_its_sub_policy_does_not() => AssertKeepsFirstDropsSecond(
        """[ { "type": "not", "policies": [ { "type": "statusCode", "codes": ["ERROR"] } ] } ]""",
        Trace(High, status: Status.Types.StatusCode.Ok), Trace(Low, status: Status.Types.StatusCode.Error));

    [Fact]
    public Task Drop_wins_over_any_keep() => AssertKeepsFirstDropsSecond(
        """[ { "type": "always" }, { "type": "drop", "name": "health", "policies": [ { "type": "stringAttribute", "key": "http.route", "values": ["/health"] } ] } ]""",
        Trace(High, attributes: Str("http.route", "/orders")), Trace(Low, attributes: Str("http.route", "/health")), dropReason: "health");

    [Fact]
    public async Task Composite_allocates_the_rate_between_sub_policies_in_order()
    {
        await using var kit = NewKit("""
        { "policies": [ { "type": "composite", "name": "budget", "maxTotalSpansPerSecond": 2, "policies": [
            { "type": "statusCode", "codes": ["ERROR"], "percent": 50 },
            { "type": "always", "percent": 50 } ] } ] }
        """);
        var error = Trace(0x30000000000000UL, status: Status.Types.StatusCode.Error);
        var first = Trace(0x40000000000000UL);
        var second = Trace(0x50000000000000UL);
        await kit.SendAsync([.. error, .. first, .. second]);
        await kit.DrainAsync();

        Assert.Equal([Hex(error[0].TraceId), Hex(first[0].TraceId)], kit.TraceIds("out").Order());
        Assert.Equal([Hex(second[0].TraceId)], kit.TraceIds("dropped"));
        Assert.Equal(2, kit.Sampler.Counters.KeptByReason["budget"]);
    }

    private TailSamplingTestKit NewKit(string json) => new(json, Encoded);
}

/// <summary>Every test of <see cref="TailSamplingPolicyTests"/> with encoded input batches.</summary>
public sealed class TailSamplingPolicyEncodedTests : TailSamplingPolicyTests
{
    protected override bool Encoded => true;
}
