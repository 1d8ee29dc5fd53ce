using System.Text.Json.Nodes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Otlp;

namespace OtlpFlow.Engine.Tests.Otlp;

public sealed class OtlpJsonTests
{
    public static TheoryData<string> Signals => new() { "traces", "metrics", "logs" };

    private static IMessage Sample(string signal) => signal switch
    {
        "traces" => OtlpSamples.Traces(),
        "metrics" => OtlpSamples.Metrics(),
        _ => OtlpSamples.Logs(),
    };

    private static JsonNode Node(IMessage message) => JsonNode.Parse(OtlpJson.Format(message))!;

    [Fact]
    public void Format_writes_span_and_link_ids_as_lowercase_hex()
    {
        var json = Node(OtlpSamples.Traces());
        var spans = json["resourceSpans"]![0]!["scopeSpans"]![0]!["spans"]!;

        Assert.Equal(OtlpSamples.TraceIdHex, (string?)spans[0]!["traceId"]);
        Assert.Equal(OtlpSamples.SpanIdHex, (string?)spans[0]!["spanId"]);
        Assert.Equal(OtlpSamples.ParentSpanIdHex, (string?)spans[0]!["parentSpanId"]);
        Assert.Equal(OtlpSamples.LinkTraceIdHex, (string?)spans[0]!["links"]![0]!["traceId"]);
        Assert.Equal(OtlpSamples.LinkSpanIdHex, (string?)spans[0]!["links"]![0]!["spanId"]);
    }

    [Fact]
    public void Format_omits_an_empty_parent_span_id()
    {
        var root = Node(OtlpSamples.Traces())["resourceSpans"]![0]!["scopeSpans"]![0]!["spans"]![1]!.AsObject();

        Assert.False(root.ContainsKey("parentSpanId"));
        Assert.Equal(OtlpSamples.ParentSpanIdHex, (string?)root["spanId"]);
    }

    [Fact]
    public void Format_writes_exemplar_and_log_record_ids_as_hex()
    {
        var exemplar = Node(OtlpSamples.Metrics())["resourceMetrics"]![0]!["scopeMetrics"]![0]!["metrics"]![0]!["gauge"]!["dataPoints"]![0]!["exemplars"]![0]!;
        var log = Node(OtlpSamples.Logs())["resourceLogs"]![0]!["scopeLogs"]![0]!["logRecords"]![0]!;

        Assert.Equal(OtlpSamples.TraceIdHex, (string?)exemplar["traceId"]);
        Assert.Equal(OtlpSamples.SpanIdHex, (string?)exemplar["spanId"]);
        Assert.Equal(OtlpSamples.TraceIdHex, (string?)log["traceId"]);
        Assert.Equal(OtlpSamples.SpanIdHex, (string?)log["spanId"]);
    }

    [Fact]
    public void Format_keeps_bytes_values_as_base64_and_leaves_attributes_named_like_ids_alone()
    {
        var attributes = Node(OtlpSamples.Traces())["resourceSpans"]![0]!["scopeSpans"]![0]!["spans"]![0]!["attributes"]!.AsArray();

        var bytes = attributes.Single(a => (string?)a!["key"] == "bytes")!;
        var kvlist = attributes.Single(a => (string?)a!["key"] == "kvlist")!;
        Assert.Equal(Convert.ToBase64String([0, 1, 2, 250, 255]), (string?)bytes["value"]!["bytesValue"]);
        Assert.Equal("not-hex", (string?)kvlist["value"]!["kvlistValue"]!["values"]![0]!["value"]!["stringValue"]);
    }

    [Fact]
    public void Format_writes_enums_as_integers_and_64_bit_integers_as_strings()
    {
        var span = Node(OtlpSamples.Traces())["resourceSpans"]![0]!["scopeSpans"]![0]!["spans"]![0]!;

        Assert.Equal(2, (int?)span["kind"]);
        Assert.Equal(2, (int?)span["status"]!["code"]);
        Assert.Equal("1700000000123456789", (string?)span["startTimeUnixNano"]);
        var intAttribute = span["attributes"]!.AsArray().Single(a => (string?)a!["key"] == "int")!;
        Assert.Equal(long.MinValue.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)intAttribute["value"]!["intValue"]);
    }

    [Fact]
    public void Format_uses_lower_camel_case_keys()
    {
        var text = OtlpJson.Format(OtlpSamples.Metrics());

        Assert.Contains("\"resourceMetrics\"", text, StringComparison.Ordinal);
        Assert.Contains("\"exponentialHistogram\"", text, StringComparison.Ordinal);
        Assert.Contains("\"aggregationTemporality\":2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("resource_metrics", text, StringComparison.Ordinal);
        Assert.DoesNotContain("AGGREGATION_TEMPORALITY", text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Signals))]
    public void Format_writes_one_line(string signal)
    {
        var text = OtlpJson.Format(Sample(signal));

        Assert.DoesNotContain('\n', text);
        Assert.DoesNotContain('\r', text);
    }

    [Theory]
    [MemberData(nameof(Signals))]
    public void Parse_of_formatted_request_gives_an_equal_request(string signal)
    {
        var request = Sample(signal);

        var parsed = OtlpJson.Parse(OtlpJson.Format(request));

        Assert.Equal(request.GetType(), parsed.GetType());
        Assert.Equal(request, parsed);
    }

    [Theory]
    [MemberData(nameof(Signals))]
    public void Format_of_parsed_text_gives_the_same_text(string signal)
    {
        var text = OtlpJson.Format(Sample(signal));

        Assert.Equal(text, OtlpJson.Format(OtlpJson.Parse(text)));
    }

    [Fact]
    public void Parse_of_known_type_round_trips_every_request_type()
    {
        Assert.Equal(OtlpSamples.Traces(), OtlpJson.Parse<ExportTraceServiceRequest>(OtlpJson.Format(OtlpSamples.Traces())));
        Assert.Equal(OtlpSamples.Metrics(), OtlpJson.Parse<ExportMetricsServiceRequest>(OtlpJson.Format(OtlpSamples.Metrics())));
        Assert.Equal(OtlpSamples.Logs(), OtlpJson.Parse<ExportLogsServiceRequest>(OtlpJson.Format(OtlpSamples.Logs())));
    }

    [Fact]
    public void Parse_of_known_type_handles_a_message_below_the_request()
    {
        var span = OtlpSamples.Traces().ResourceSpans[0].ScopeSpans[0].Spans[0];

        var text = OtlpJson.Format(span);

        Assert.Contains($"\"traceId\":\"{OtlpSamples.TraceIdHex}\"", text, StringComparison.Ordinal);
        Assert.Equal(span, OtlpJson.Parse<Span>(text));
    }

    [Fact]
    public void Parse_detects_the_signal_from_the_top_level_key()
    {
        Assert.IsType<ExportTraceServiceRequest>(OtlpJson.Parse("""{"resourceSpans":[]}"""));
        Assert.IsType<ExportMetricsServiceRequest>(OtlpJson.Parse("""{"resourceMetrics":[]}"""));
        Assert.IsType<ExportLogsServiceRequest>(OtlpJson.Parse("""{"resourceLogs":[]}"""));
    }

    [Fact]
    public void Parse_of_an_empty_object_is_an_empty_trace_request()
    {
        var parsed = OtlpJson.Parse("{}");

        Assert.Equal(new ExportTraceServiceRequest(), parsed);
    }

    [Fact]
    public void Empty_requests_keep_their_signal_through_a_round_trip()
    {
        Assert.Equal("{\"resourceSpans\":[]}", OtlpJson.Format(new ExportTraceServiceRequest()));
        Assert.Equal("{\"resourceMetrics\":[]}", OtlpJson.Format(new ExportMetricsServiceRequest()));
        Assert.Equal("{\"resourceLogs\":[]}", OtlpJson.Format(new ExportLogsServiceRequest()));
        Assert.IsType<ExportLogsServiceRequest>(OtlpJson.Parse(OtlpJson.Format(new ExportLogsServiceRequest())));
    }

    [Fact]
    public void Parse_accepts_64_bit_integers_as_strings_and_as_numbers_without_losing_digits()
    {
        const string json = """
            {"resourceSpans":[{"scopeSpans":[{"spans":[
              {"name":"as-string","startTimeUnixNano":"1700000000123456789","attributes":[{"key":"n","value":{"intValue":"-9223372036854775808"}}]},
              {"name":"as-number","startTimeUnixNano":1700000000123456789,"attributes":[{"key":"n","value":{"intValue":-9223372036854775808}}]}
            ]}]}]}
            """;

        var spans = OtlpJson.Parse<ExportTraceServiceRequest>(json).ResourceSpans[0].ScopeSpans[0].Spans;

        foreach (var span in spans)
        {
            Assert.Equal(OtlpSamples.PreciseNanos, span.StartTimeUnixNano);
            Assert.Equal(long.MinValue, span.Attributes[0].Value.IntValue);
        }
    }

    [Fact]
    public void Parse_accepts_repeated_64_bit_integers_as_numbers()
    {
        const string json = """
            {"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"h","histogram":{"dataPoints":[
              {"count":18446744073709551615,"bucketCounts":[1,"2",18446744073709551615],"explicitBounds":[1,2]}
            ]}}]}]}]}
            """;

        var point = OtlpJson.Parse<ExportMetricsServiceRequest>(json).ResourceMetrics[0].ScopeMetrics[0].Metrics[0].Histogram.DataPoints[0];

        Assert.Equal(ulong.MaxValue, point.Count);
        Assert.Equal([1UL, 2UL, ulong.MaxValue], point.BucketCounts);
    }

    [Fact]
    public void Parse_ignores_unknown_fields_at_every_level()
    {
        const string json = """
            {"resourceLogs":[{"future":1,"scopeLogs":[{"logRecords":[
              {"severityNumber":9,"body":{"stringValue":"hi","newKind":{"x":[1,2]}},"somethingNew":{"traceId":"zz"},"traceId":"5b8efff798038103d269b633813fc60c"}
            ]}]}],"extra":"ignored"}
            """;

        var record = OtlpJson.Parse<ExportLogsServiceRequest>(json).ResourceLogs[0].ScopeLogs[0].LogRecords[0];

        Assert.Equal(SeverityNumber.Info, record.SeverityNumber);
        Assert.Equal("hi", record.Body.StringValue);
        Assert.Equal(OtlpSamples.Id(OtlpSamples.TraceIdHex), record.TraceId);
    }

    [Fact]
    public void Parse_accepts_enums_by_name_and_ids_in_upper_case()
    {
        const string json = """
            {"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_CLIENT","traceId":"5B8EFFF798038103D269B633813FC60C","spanId":""}]}]}]}
            """;

        var span = OtlpJson.Parse<ExportTraceServiceRequest>(json).ResourceSpans[0].ScopeSpans[0].Spans[0];

        Assert.Equal(Span.Types.SpanKind.Client, span.Kind);
        Assert.Equal(OtlpSamples.Id(OtlpSamples.TraceIdHex), span.TraceId);
        Assert.True(span.SpanId.IsEmpty);
    }

    [Theory]
    [InlineData("traceId", "5b8efff798038103d269b633813fc6", "32 hex digits")]
    [InlineData("spanId", "eee19b7ec3c1b17400", "16 hex digits")]
    [InlineData("parentSpanId", "W+GbfsPBsXQ=", "16 hex digits")]
    public void Parse_rejects_an_id_of_the_wrong_length_naming_where_it_is(string field, string value, string expected)
    {
        var json = $$"""{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"s","{{field}}":"{{value}}"}]}]}]}""";

        var error = Assert.Throws<OtlpJsonException>(() => OtlpJson.Parse(json));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains($"resourceSpans[0].scopeSpans[0].spans[0].{field}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_rejects_an_id_with_characters_that_are_not_hex()
    {
        const string json = """{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"spanId":"eee19b7ec3c1b17g"}]}]}]}""";

        var error = Assert.Throws<OtlpJsonException>(() => OtlpJson.Parse(json));

        Assert.Contains("hex digits", error.Message, StringComparison.Ordinal);
        Assert.Contains("logRecords[0].spanId", error.Message, StringComparison.Ordinal);
        Assert.Contains("eee19b7ec3c1b17g", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_rejects_an_id_that_is_not_a_string()
    {
        const string json = """{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[{"exemplars":[{"spanId":12}]}]}}]}]}]}""";

        var error = Assert.Throws<OtlpJsonException>(() => OtlpJson.Parse(json));

        Assert.Contains("exemplars[0].spanId", error.Message, StringComparison.Ordinal);
        Assert.Contains("hex string", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"resourceSpans\":[")]
    [InlineData("not json")]
    [InlineData("")]
    public void Parse_rejects_text_that_is_not_json(string text)
    {
        var error = Assert.Throws<OtlpJsonException>(() => OtlpJson.Parse(text));

        Assert.StartsWith("Invalid OTLP/JSON", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]", "expected an object")]
    [InlineData("{\"spans\":[]}", "expected resourceSpans, resourceMetrics or resourceLogs")]
    [InlineData("{\"resourceSpans\":[],\"resourceLogs\":[]}", "more than one")]
    [InlineData("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":5}]}]}]}", "ExportTraceServiceRequest")]
    [InlineData("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"attributes\":[{\"key\":\"b\",\"value\":{\"bytesValue\":\"%%\"}}]}]}]}]}", "ExportTraceServiceRequest")]
    public void Parse_rejects_json_that_is_not_an_export_request(string text, string expected)
    {
        var error = Assert.Throws<OtlpJsonException>(() => OtlpJson.Parse(text));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_reads_a_hand_written_example_in_the_style_of_the_specification()
    {
        const string json = """
            {
              "resourceSpans": [
                {
                  "resource": {
                    "attributes": [ { "key": "service.name", "value": { "stringValue": "my.service" } } ]
                  },
                  "scopeSpans": [
                    {
                      "scope": {
                        "name": "my.library",
                        "version": "1.0.0",
                        "attributes": [ { "key": "my.scope.attribute", "value": { "stringValue": "some scope attribute" } } ]
                      },
                      "spans": [
                        {
                          "traceId": "5b8efff798038103d269b633813fc60c",
                          "spanId": "eee19b7ec3c1b174",
                          "parentSpanId": "eee19b7ec3c1b173",
                          "name": "I'm a server span",
                          "startTimeUnixNano": "1544712660000000000",
                          "endTimeUnixNano": "1544712661000000000",
                          "kind": 2,
                          "attributes": [
                            { "key": "my.span.attr", "value": { "stringValue": "some value" } },
                            { "key": "retries", "value": { "intValue": "3" } },
                            { "key": "ratio", "value": { "doubleValue": 0.25 } },
                            { "key": "tags", "value": { "arrayValue": { "values": [ { "stringValue": "a" }, { "boolValue": true } ] } } }
                          ],
                          "events": [ { "timeUnixNano": "1544712660500000000", "name": "cache.miss" } ],
                          "status": { "code": 2, "message": "upstream failed" }
                        }
                      ]
                    }
                  ]
                }
              ]
            }
            """;

        var request = Assert.IsType<ExportTraceServiceRequest>(OtlpJson.Parse(json));

        var resourceSpans = Assert.Single(request.ResourceSpans);
        Assert.Equal("service.name", resourceSpans.Resource.Attributes[0].Key);
        Assert.Equal("my.service", resourceSpans.Resource.Attributes[0].Value.StringValue);
        var scopeSpans = Assert.Single(resourceSpans.ScopeSpans);
        Assert.Equal("my.library", scopeSpans.Scope.Name);
        Assert.Equal("1.0.0", scopeSpans.Scope.Version);
        var span = Assert.Single(scopeSpans.Spans);
        Assert.Equal("5b8efff798038103d269b633813fc60c", Convert.ToHexStringLower(span.TraceId.ToByteArray()));
        Assert.Equal("eee19b7ec3c1b174", Convert.ToHexStringLower(span.SpanId.ToByteArray()));
        Assert.Equal("eee19b7ec3c1b173", Convert.ToHexStringLower(span.ParentSpanId.ToByteArray()));
        Assert.Equal("I'm a server span", span.Name);
        Assert.Equal(1544712660000000000UL, span.StartTimeUnixNano);
        Assert.Equal(1544712661000000000UL, span.EndTimeUnixNano);
        Assert.Equal(Span.Types.SpanKind.Server, span.Kind);
        Assert.Equal("some value", span.Attributes[0].Value.StringValue);
        Assert.Equal(3, span.Attributes[1].Value.IntValue);
        Assert.Equal(0.25, span.Attributes[2].Value.DoubleValue);
        Assert.Equal("a", span.Attributes[3].Value.ArrayValue.Values[0].StringValue);
        Assert.True(span.Attributes[3].Value.ArrayValue.Values[1].BoolValue);
        Assert.Equal(1544712660500000000UL, Assert.Single(span.Events).TimeUnixNano);
        Assert.Equal(Status.Types.StatusCode.Error, span.Status.Code);
        Assert.Equal("upstream failed", span.Status.Message);
    }

    [Fact]
    public void Round_trip_keeps_every_metric_type_and_optional_fields_that_are_zero()
    {
        var metrics = OtlpJson.Parse<ExportMetricsServiceRequest>(OtlpJson.Format(OtlpSamples.Metrics())).ResourceMetrics[0].ScopeMetrics[0].Metrics;

        Assert.Equal(
            [Metric.DataOneofCase.Gauge, Metric.DataOneofCase.Sum, Metric.DataOneofCase.Histogram, Metric.DataOneofCase.ExponentialHistogram, Metric.DataOneofCase.Summary],
            metrics.Select(m => m.DataCase));
        Assert.True(metrics[2].Histogram.DataPoints[0].HasSum);
        Assert.Equal(0, metrics[2].Histogram.DataPoints[0].Sum);
        Assert.Equal(NumberDataPoint.ValueOneofCase.AsInt, metrics[0].Gauge.DataPoints[1].ValueCase);
    }
}
