using System.Reflection;
using System.Text.Json.Nodes;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OtlpFlow.Engine.Conditions;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Transform;
using static OtlpFlow.Operators.Tests.Transform.TransformTestData;

namespace OtlpFlow.Operators.Tests.Transform;

public sealed class FilterOperatorTests
{
    private static FilterOperator Filter(params (string Rule, string Condition)[] rules)
    {
        var options = new FilterOptions();
        foreach (var (rule, condition) in rules)
        {
            options.Drop.Add(rule, Condition.Parse(condition));
        }

        return new FilterOperator(options, TestOperatorContext.Create(id: "filter", type: "filter"));
    }

    private static async Task<RecordingOutput> Run(FilterOperator filter, TelemetryBatch batch)
    {
        var output = new RecordingOutput();
        await filter.ProcessAsync(batch, output, CancellationToken.None);
        return output;
    }

    [Fact]
    public async Task Matching_spans_are_dropped_and_counted_by_rule_and_the_rest_keep_their_grouping()
    {
        var filter = Filter(("health-checks", "name == \"GET /health\""), ("writes", "name =~ \"^POST\""));
        var input = TelemetryBatch.Create(Traces());

        var output = await Run(filter, input);

        Assert.Equal(3, output.Dropped["health-checks"]);
        Assert.Equal(1, output.Dropped["writes"]);
        var kept = Assert.Single(output.On()).Traces!;
        // checkout keeps its http scope (GET /orders) and loses its db scope (only a health check);
        // billing keeps "charge".
        Assert.Equal(2, kept.ResourceSpans.Count);
        var checkout = kept.ResourceSpans[0];
        Assert.Same(input.Traces!.ResourceSpans[0].Resource, checkout.Resource);
        Assert.Equal(input.Traces.ResourceSpans[0].SchemaUrl, checkout.SchemaUrl);
        var http = Assert.Single(checkout.ScopeSpans);
        Assert.Equal("http", http.Scope.Name);
        Assert.Equal("s1", http.SchemaUrl);
        Assert.Same(input.Traces.ResourceSpans[0].ScopeSpans[0].Spans[1], Assert.Single(http.Spans));
        Assert.Equal("charge", Assert.Single(Assert.Single(kept.ResourceSpans[1].ScopeSpans).Spans).Name);
    }

    [Fact]
    public async Task An_item_matching_several_rules_is_counted_under_the_first_one_written()
    {
        var filter = Filter(("billing", "service == \"billing\""), ("health-checks", "name == \"GET /health\""));

        var output = await Run(filter, TelemetryBatch.Create(Traces()));

        Assert.Equal(2, output.Dropped["billing"]);
        Assert.Equal(2, output.Dropped["health-checks"]);
        Assert.Equal(2, output.ItemsOut);
    }

    [Fact]
    public async Task The_original_batch_goes_on_when_nothing_is_dropped()
    {
        var filter = Filter(("never", "name == \"nothing like this\""));
        var input = TelemetryBatch.Create(Traces());

        var output = await Run(filter, input);

        Assert.Same(input, Assert.Single(output.On()));
        Assert.Empty(output.Dropped);
    }

    [Fact]
    public async Task Nothing_is_emitted_when_everything_is_dropped()
    {
        var filter = Filter(("all", "kind == SERVER"));

        var output = await Run(filter, TelemetryBatch.Create(Traces()));

        Assert.Empty(output.Emitted);
        Assert.Equal(6, output.Dropped["all"]);
    }

    [Fact]
    public async Task A_filter_with_no_rules_passes_everything_on()
    {
        var input = TelemetryBatch.Create(Traces());

        var output = await Run(Filter(), input);

        Assert.Same(input, Assert.Single(output.On()));
    }

    [Fact]
    public async Task An_empty_batch_goes_on_unchanged()
    {
        var input = TelemetryBatch.Create(new ExportLogsServiceRequest());

        var output = await Run(Filter(("all", "true")), input);

        Assert.Same(input, Assert.Single(output.On()));
    }

    [Fact]
    public async Task The_input_payload_is_never_changed()
    {
        var filter = Filter(("health-checks", "name == \"GET /health\""));
        var traces = Traces();
        var before = traces.Clone();

        await Run(filter, TelemetryBatch.Create(traces));

        Assert.Equal(before, traces);
    }

    [Fact]
    public async Task A_partly_kept_batch_is_derived_with_its_own_acknowledgement_share()
    {
        var (share, tracker) = Acknowledgement.Create();
        var input = TelemetryBatch.Create(Traces(), ack: share);
        var filter = Filter(("health-checks", "name == \"GET /health\""));

        var output = await Run(filter, input);

        var derived = Assert.Single(output.On());
        Assert.NotSame(input, derived);
        Assert.Same(input.Context, derived.Context);
        Assert.Equal(2, tracker.Outstanding);
        Assert.Equal(3, derived.ItemCount);
    }

    [Fact]
    public async Task Logs_below_a_severity_are_dropped()
    {
        var filter = Filter(("debug-logs", "severity < INFO"));
        var input = TelemetryBatch.Create(Logs(SeverityNumber.Debug, SeverityNumber.Info, SeverityNumber.Trace, SeverityNumber.Error, SeverityNumber.Unspecified));

        var output = await Run(filter, input);

        Assert.Equal(2, output.Dropped["debug-logs"]);
        var kept = Assert.Single(Assert.Single(Assert.Single(output.On()).Logs!.ResourceLogs).ScopeLogs).LogRecords;
        Assert.Equal([SeverityNumber.Info, SeverityNumber.Error, SeverityNumber.Unspecified], kept.Select(l => l.SeverityNumber));
    }

    [Fact]
    public async Task Data_points_of_every_metric_type_are_dropped_and_metric_settings_are_kept()
    {
        var filter = Filter(("web-2", "attributes[\"host\"] == \"web-2\""));
        var input = TelemetryBatch.Create(Metrics());

        var output = await Run(filter, input);

        Assert.Equal(5, output.Dropped["web-2"]);
        var metrics = Assert.Single(Assert.Single(Assert.Single(output.On()).Metrics!.ResourceMetrics).ScopeMetrics).Metrics;
        Assert.Equal(["cpu", "requests", "latency", "latency.exp", "gc"], metrics.Select(m => m.Name));
        Assert.All(metrics, m => Assert.Equal(1, DataPointView.Count(m)));
        Assert.All(metrics, m => Assert.Equal("web-1", DataPointView.At(m, 0).Attributes[0].Value.StringValue));
        Assert.Equal("1", metrics[0].Unit);
        Assert.True(metrics[1].Sum.IsMonotonic);
        Assert.Equal(AggregationTemporality.Cumulative, metrics[1].Sum.AggregationTemporality);
        Assert.Equal(AggregationTemporality.Delta, metrics[2].Histogram.AggregationTemporality);
        Assert.Equal(AggregationTemporality.Delta, metrics[3].ExponentialHistogram.AggregationTemporality);
        Assert.Equal("pauses", metrics[4].Description);
    }

    [Fact]
    public async Task Metrics_left_without_data_points_are_omitted()
    {
        var filter = Filter(("histograms", "metric.type in [\"histogram\", \"exponentialHistogram\"]"), ("busy", "value > 0.5"));
        var input = TelemetryBatch.Create(Metrics());

        var output = await Run(filter, input);

        Assert.Equal(4, output.Dropped["histograms"]);
        Assert.Equal(3, output.Dropped["busy"]); // cpu 0.9, requests 5 and 7
        var metrics = Assert.Single(Assert.Single(Assert.Single(output.On()).Metrics!.ResourceMetrics).ScopeMetrics).Metrics;
        Assert.Equal(["cpu", "gc"], metrics.Select(m => m.Name));
        Assert.Same(input.Metrics!.ResourceMetrics[0].ScopeMetrics[0].Metrics[4], metrics[1]);
    }

    [Fact]
    public async Task Items_in_equal_items_out_plus_items_dropped_for_every_signal()
    {
        var filter = Filter(
            ("health-checks", "name == \"GET /health\""),
            ("debug-logs", "severity < INFO"),
            ("web-2", "attributes[\"host\"] == \"web-2\" and metric.type != \"sum\""));
        var output = new RecordingOutput();
        TelemetryBatch[] inputs =
        [
            TelemetryBatch.Create(Traces()),
            TelemetryBatch.Create(Logs(SeverityNumber.Debug, SeverityNumber.Warn, SeverityNumber.Trace4)),
            TelemetryBatch.Create(Metrics()),
        ];

        foreach (var input in inputs)
        {
            await filter.ProcessAsync(input, output, CancellationToken.None);
        }

        Assert.Equal(inputs.Sum(b => (long)b.ItemCount), output.ItemsOut + output.ItemsDropped);
        Assert.Equal(3, output.Dropped["health-checks"]);
        Assert.Equal(2, output.Dropped["debug-logs"]);
        Assert.Equal(4, output.Dropped["web-2"]);
        Assert.Equal(
            output.ItemsOut,
            output.On().Sum(b => (long)(b.Payload switch
            {
                ExportTraceServiceRequest t => OtlpItems.Count(t),
                ExportLogsServiceRequest l => OtlpItems.Count(l),
                _ => OtlpItems.Count((ExportMetricsServiceRequest)b.Payload),
            })));
    }

    [Fact]
    public void The_filter_does_not_mutate_data_and_is_registered_as_filter()
    {
        Assert.False(Filter().MutatesData);
        var attribute = typeof(FilterOperator).GetCustomAttribute<OperatorAttribute>()!;
        Assert.Equal("filter", attribute.Type);
        Assert.Equal(typeof(FilterOptions), attribute.Options);
    }

    [Fact]
    public void Options_bind_rules_in_the_order_written()
    {
        var errors = new List<OptionError>();
        var options = (FilterOptions?)OptionsBinder.Bind(typeof(FilterOptions), JsonNode.Parse("""
            { "drop": { "z-last-name-first": "name == \"a\"", "a-second": "severity < INFO" } }
            """)!.AsObject(), errors);

        Assert.Empty(errors);
        Assert.Equal(["z-last-name-first", "a-second"], options!.Drop.Keys);
        Assert.Equal("severity < INFO", options.Drop["a-second"].Text);
    }

    [Fact]
    public void A_bad_condition_is_an_option_error_with_its_position()
    {
        var errors = new List<OptionError>();
        var options = OptionsBinder.Bind(typeof(FilterOptions), JsonNode.Parse("""
            { "drop": { "health-checks": "name == \"GET /health\" and" } }
            """)!.AsObject(), errors);

        Assert.Null(options);
        var error = Assert.Single(errors);
        Assert.Equal("drop.health-checks", error.Key);
        Assert.Equal("must be a valid condition: at column 26: expected a condition after 'and', got end of input", error.Message);
    }

    [Fact]
    public void A_rule_without_a_condition_is_an_option_error()
    {
        var errors = new List<OptionError>();
        OptionsBinder.Bind(typeof(FilterOptions), JsonNode.Parse("""{ "drop": { "empty": null } }""")!.AsObject(), errors);

        var error = Assert.Single(errors);
        Assert.Equal("drop.empty", error.Key);
        Assert.Contains("must be a condition", error.Message, StringComparison.Ordinal);
    }
}
