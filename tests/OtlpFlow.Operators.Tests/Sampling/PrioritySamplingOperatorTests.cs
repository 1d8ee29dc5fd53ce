using System.Text.Json.Nodes;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Sampling;
using static OtlpFlow.Operators.Tests.Sampling.SamplingTestData;

namespace OtlpFlow.Operators.Tests.Sampling;

public sealed class PrioritySamplingOperatorTests
{
    private const string Rules = """
    { "rules": [
        { "name": "errors", "when": "status.code == ERROR", "action": "keep" },
        { "name": "health", "when": "attributes[\"http.route\"] == \"/health\"", "action": "drop" },
        { "name": "vip",    "when": "attributes[\"tenant\"] == \"acme\"", "action": "priority", "class": "gold" },
        { "name": "half",   "when": "true", "action": "ratio", "ratio": 0.5 } ] }
    """;

    private static PrioritySamplingOperator Create(string json)
    {
        var errors = new List<OptionError>();
        var options = (PrioritySamplingOptions?)OptionsBinder.Bind(typeof(PrioritySamplingOptions), JsonNode.Parse(json)!.AsObject(), errors);
        Assert.True(errors.Count == 0, string.Join("; ", errors));
        return new PrioritySamplingOperator(options!, TestOperatorContext.Create("priority"));
    }

    [Fact]
    public async Task The_first_matching_rule_decides_each_span()
    {
        var sampler = Create(Rules);
        var output = new RecordingOutput();
        var batch = Batch(
            Span(TraceId(0x10000000000000UL), id: 1, status: Status.Types.StatusCode.Error, attributes: Str("http.route", "/health")),
            Span(TraceId(0x10000000000000UL), id: 2, attributes: Str("http.route", "/health")),
            Span(TraceId(0x10000000000000UL), id: 3, attributes: Str("tenant", "acme")),
            Span(TraceId(0x90000000000000UL), id: 4),
            Span(TraceId(0x10000000000000UL), id: 5));

        await sampler.ProcessAsync(batch, output, default);

        Assert.Equal([1, 4], Spans(output.On("out")).Select(s => BitConverter.ToInt64(s.SpanId.Span) - 1));
        Assert.Equal([3], Spans(output.On("gold")).Select(s => BitConverter.ToInt64(s.SpanId.Span) - 1));
        Assert.Equal(1, output.Dropped["health"]);
        Assert.Equal(1, output.Dropped["half"]);
        Assert.Equal("ot=th:8", Spans(output.On("out")).Last().TraceState);
        Assert.Equal(1, sampler.Counters.KeptByReason["errors"]);
        Assert.Equal(1, sampler.Counters.KeptByReason["vip"]);
        Assert.Equal(1, sampler.Counters.KeptByReason["half"]);
        Assert.Equal(["out", "gold"], sampler.OutputPorts);
    }

    [Fact]
    public async Task The_sampling_priority_attribute_comes_before_the_rules()
    {
        var sampler = Create(Rules);
        var output = new RecordingOutput();
        var batch = Batch(
            Span(TraceId(1), id: 1, attributes: [Str("http.route", "/health"), Int("sampling.priority", 1)]),
            Span(TraceId(1), id: 2, status: Status.Types.StatusCode.Error, attributes: Int("sampling.priority", 0)));

        await sampler.ProcessAsync(batch, output, default);

        Assert.Equal([1], Spans(output.On("out")).Select(s => BitConverter.ToInt64(s.SpanId.Span) - 1));
        Assert.Equal(1, output.Dropped["sampling.priority"]);
        Assert.Equal(1, sampler.Counters.KeptByReason["sampling.priority"]);
    }

    [Fact]
    public async Task Spans_no_rule_matches_follow_the_default()
    {
        var sampler = Create("""{ "default": "drop", "rules": [ { "when": "kind == SERVER" } ] }""");
        var output = new RecordingOutput();

        await sampler.ProcessAsync(Batch(Span(TraceId(1), id: 0), Span(TraceId(1), id: 1, parent: 0)), output, default);

        Assert.Single(Spans(output.On("out")));
        Assert.Equal(1, output.Dropped["default"]);
        Assert.Equal(1, sampler.Counters.KeptByReason["rule-0"]);
    }

    [Fact]
    public void A_priority_rule_needs_a_class()
    {
        var errors = new List<OptionError>();
        OptionsBinder.Bind(typeof(PrioritySamplingOptions), JsonNode.Parse("""{ "rules": [ { "when": "true", "action": "priority" } ] }""")!.AsObject(), errors);
        Assert.Contains(errors, e => e.ToString().Contains("rules[0].class", StringComparison.Ordinal));
    }
}
