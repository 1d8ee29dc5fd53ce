using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Conditions;
using static OtlpFlow.Engine.Tests.Conditions.ConditionTestData;

namespace OtlpFlow.Engine.Tests.Conditions;

public sealed class ConditionEvaluationTests
{
    private static bool OnSpan(string condition, Span span) => Condition.Parse(condition).Matches(MakeResource("checkout", Attribute("deployment.environment", "prod")), MakeScope(), span);

    private static bool OnLog(string condition, LogRecord log) => Condition.Parse(condition).Matches(MakeResource(), MakeScope(), log);

    [Theory]
    [InlineData("status.message == \"boom\"", true)]
    [InlineData("status.code == ERROR and status.message =~ \"bo+m\"", true)]
    [InlineData("service == \"checkout\"", true)]
    [InlineData("resource[\"deployment.environment\"] in [\"prod\", \"staging\"]", true)]
    [InlineData("scope.name == \"io.opentelemetry.http\" and scope.version >= \"1.2\"", true)]
    [InlineData("traceId == \"" + TraceIdHex + "\"", true)]
    [InlineData("traceId == \"4BF92F3577B34DA6A3CE929D0E0E4736\"", true)]
    [InlineData("spanId == \"" + SpanIdHex + "\"", true)]
    [InlineData("spanId != \"00f067aa0ba902b8\"", true)]
    [InlineData("traceId =~ \"^4bf9\"", true)]
    [InlineData("severity < INFO or exists body or exists severityText", false)]
    [InlineData("metric.type == \"gauge\" or exists value", false)]
    public void Span_fields_are_read(string condition, bool expected) =>
        Assert.Equal(expected, OnSpan(condition, MakeSpan(status: Status.Types.StatusCode.Error)));

    [Fact]
    public void A_span_without_a_status_is_unset()
    {
        var span = MakeSpan();
        span.Status = null;
        Assert.True(OnSpan("status.code == UNSET and status.message == \"\"", span));
    }

    [Fact]
    public void A_span_without_an_end_time_has_no_duration()
    {
        var span = MakeSpan();
        span.EndTimeUnixNano = 0;
        Assert.False(OnSpan("duration < 1s", span));
        Assert.False(OnSpan("duration >= 1s", span));
        Assert.False(OnSpan("exists duration", span));
    }

    [Theory]
    [InlineData(SeverityNumber.Debug, "severity < INFO", true)]
    [InlineData(SeverityNumber.Info, "severity < INFO", false)]
    [InlineData(SeverityNumber.Info3, "severity >= INFO and severity < WARN", true)]
    [InlineData(SeverityNumber.Trace2, "severity == TRACE", false)]
    [InlineData(SeverityNumber.Fatal, "severity > ERROR", true)]
    [InlineData(SeverityNumber.Warn, "severity == 13", true)]
    [InlineData(SeverityNumber.Warn, "severityText == \"WARN\"", true)]
    [InlineData(SeverityNumber.Unspecified, "severity < INFO", false)]
    [InlineData(SeverityNumber.Unspecified, "exists severity or exists severityText", false)]
    public void Log_severity_compares_by_number(SeverityNumber severity, string condition, bool expected) =>
        Assert.Equal(expected, OnLog(condition, MakeLog(severity)));

    [Fact]
    public void Log_fields_are_read()
    {
        var log = MakeLog(SeverityNumber.Error, "payment declined for order 42", Attribute("user.id", 7L));
        log.EventName = "payment.declined";
        log.TraceId = ByteString.CopyFrom(Convert.FromHexString(TraceIdHex));
        Assert.True(OnLog("body =~ \"order \\d+$\"", log));
        Assert.True(OnLog("body == \"payment declined for order 42\"", log));
        Assert.True(OnLog("name == \"payment.declined\"", log));
        Assert.True(OnLog("attributes[\"user.id\"] == 7 and service == \"checkout\"", log));
        Assert.True(OnLog("traceId == \"" + TraceIdHex + "\"", log));
        Assert.False(OnLog("exists spanId", log));
        Assert.False(OnLog("kind == SERVER or status.code == UNSET or exists duration", log));
    }

    [Fact]
    public void A_log_without_an_event_name_has_no_name()
    {
        Assert.False(OnLog("exists name", MakeLog()));
        Assert.True(OnLog("name != \"x\"", MakeLog()));
    }

    [Fact]
    public void A_non_string_body_compares_by_its_type()
    {
        var log = MakeLog();
        log.Body = new AnyValue { IntValue = 404 };
        Assert.True(OnLog("body == 404 and body =~ \"^4\"", log));
        Assert.False(OnLog("body == \"404\"", log));
    }

    public static TheoryData<string, Metric> MetricsOfEveryType()
    {
        var data = new TheoryData<string, Metric>();
        var gauge = new Metric { Name = "cpu", Gauge = new Gauge() };
        gauge.Gauge.DataPoints.Add(Point(new NumberDataPoint { AsDouble = 0.75 }));
        data.Add("gauge", gauge);
        var sum = new Metric { Name = "requests", Sum = new Sum { IsMonotonic = true } };
        sum.Sum.DataPoints.Add(Point(new NumberDataPoint { AsInt = 12 }));
        data.Add("sum", sum);
        var histogram = new Metric { Name = "latency", Histogram = new Histogram() };
        histogram.Histogram.DataPoints.Add(Point(new HistogramDataPoint { Count = 3 }));
        data.Add("histogram", histogram);
        var exponential = new Metric { Name = "latency.exp", ExponentialHistogram = new ExponentialHistogram() };
        exponential.ExponentialHistogram.DataPoints.Add(Point(new ExponentialHistogramDataPoint { Count = 3 }));
        data.Add("exponentialHistogram", exponential);
        var summary = new Metric { Name = "gc", Summary = new Summary() };
        summary.Summary.DataPoints.Add(Point(new SummaryDataPoint { Count = 3 }));
        data.Add("summary", summary);
        return data;
    }

    private static T Point<T>(T point)
        where T : IMessage
    {
        var attributes = (Google.Protobuf.Collections.RepeatedField<KeyValue>)point.Descriptor.FindFieldByName("attributes").Accessor.GetValue(point);
        attributes.Add(Attribute("host", "web-1"));
        return point;
    }

    [Theory]
    [MemberData(nameof(MetricsOfEveryType))]
    public void Data_points_of_every_metric_type_are_evaluated(string type, Metric metric)
    {
        var point = DataPointView.At(metric, 0);
        bool On(string condition) => Condition.Parse(condition).Matches(MakeResource(), MakeScope(), metric, point);

        Assert.True(On($"metric.type == \"{type}\""));
        Assert.True(On($"name == \"{metric.Name}\""));
        Assert.True(On("attributes[\"host\"] == \"web-1\" and service == \"checkout\" and scope.name =~ \"http\""));
        Assert.False(On("attributes[\"host\"] == \"web-2\""));
        Assert.False(On("kind == SERVER or severity > TRACE or exists traceId"));
        var hasValue = type is "gauge" or "sum";
        Assert.Equal(hasValue, On("exists value"));
    }

    [Fact]
    public void Number_point_values_compare_across_integer_and_decimal()
    {
        var metric = new Metric { Name = "requests", Sum = new Sum() };
        metric.Sum.DataPoints.Add(new NumberDataPoint { AsInt = 12 });
        metric.Sum.DataPoints.Add(new NumberDataPoint { AsDouble = 12.5 });
        var condition = Condition.Parse("value > 12.2");
        Assert.False(condition.Matches(null, null, metric, DataPointView.At(metric, 0)));
        Assert.True(condition.Matches(null, null, metric, DataPointView.At(metric, 1)));
        Assert.True(Condition.Parse("value == 12.0").Matches(null, null, metric, DataPointView.At(metric, 0)));
        Assert.True(Condition.Parse("value in [1, 12]").Matches(null, null, metric, DataPointView.At(metric, 0)));
    }

    [Theory]
    [InlineData("attributes[\"missing\"] == \"x\"", false)]
    [InlineData("attributes[\"missing\"] != \"x\"", true)]
    [InlineData("attributes[\"missing\"] < 5", false)]
    [InlineData("attributes[\"missing\"] <= 5", false)]
    [InlineData("attributes[\"missing\"] > 5", false)]
    [InlineData("attributes[\"missing\"] >= 5", false)]
    [InlineData("attributes[\"missing\"] in [\"x\", 1]", false)]
    [InlineData("attributes[\"missing\"] not in [\"x\", 1]", true)]
    [InlineData("attributes[\"missing\"] =~ \".*\"", false)]
    [InlineData("attributes[\"missing\"] !~ \".*\"", true)]
    [InlineData("exists attributes[\"missing\"]", false)]
    [InlineData("not exists attributes[\"missing\"]", true)]
    [InlineData("resource[\"missing\"] == \"\"", false)]
    public void A_missing_attribute_is_unequal_to_everything_and_never_ordered(string condition, bool expected) =>
        Assert.Equal(expected, OnSpan(condition, MakeSpan()));

    [Theory]
    [InlineData("attributes[\"int\"] == 5.0", true)]
    [InlineData("attributes[\"int\"] < 5.5", true)]
    [InlineData("attributes[\"double\"] > 5", true)]
    [InlineData("attributes[\"double\"] in [5, 5.5]", true)]
    [InlineData("attributes[\"text\"] == 5", false)]
    [InlineData("attributes[\"text\"] < 6", false)]
    [InlineData("attributes[\"text\"] != 5", true)]
    [InlineData("attributes[\"flag\"] == true", true)]
    [InlineData("attributes[\"flag\"] > false", false)]
    [InlineData("attributes[\"upper\"] < \"a\"", true)]
    [InlineData("attributes[\"list\"] == \"x\"", false)]
    [InlineData("exists attributes[\"list\"]", true)]
    public void Values_compare_by_type_with_numbers_across_integer_and_decimal(string condition, bool expected)
    {
        var list = new AnyValue { ArrayValue = new ArrayValue() };
        list.ArrayValue.Values.Add(new AnyValue { StringValue = "x" });
        var span = MakeSpan(attributes: [
            Attribute("int", 5L), Attribute("double", 5.5), Attribute("text", "5"), Attribute("flag", true),
            Attribute("upper", "B"), Attribute("list", list)]);
        Assert.Equal(expected, OnSpan(condition, span));
    }

    [Theory]
    [InlineData("name =~ \"^GET /orders/\\d+$\"", "GET /orders/42", true)]
    [InlineData("name =~ \"^GET /orders/\\\\d+$\"", "GET /orders/42", true)]
    [InlineData("name =~ \"orders\"", "GET /orders/42", true)]
    [InlineData("name =~ \"^orders\"", "GET /orders/42", false)]
    [InlineData("name !~ \"(?i)^get\"", "GET /orders/42", false)]
    [InlineData("attributes[\"code\"] =~ \"^5\\d\\d$\"", "x", true)]
    public void Regular_expressions_use_dotnet_syntax(string condition, string name, bool expected) =>
        Assert.Equal(expected, OnSpan(condition, MakeSpan(name, attributes: Attribute("code", 503L))));

    [Fact]
    public void A_resource_alone_matches_with_item_fields_missing()
    {
        var condition = Condition.Parse("service == \"checkout\" and not exists name");
        Assert.True(condition.Matches(MakeResource()));
        Assert.False(condition.Matches(MakeResource("billing")));
        Assert.True(Condition.Parse("scope.name == \"io.opentelemetry.http\"").Matches(null, MakeScope()));
    }

    [Fact]
    public void A_missing_resource_and_scope_have_no_fields()
    {
        var condition = Condition.Parse("exists service or exists scope.name or resource[\"a\"] == 1");
        Assert.False(condition.Matches(null, null, MakeSpan()));
    }

    [Fact]
    public void Evaluation_does_not_allocate()
    {
        var condition = Condition.Parse(
            "(kind in [SERVER, CLIENT] and status.code != ERROR and duration > 5ms) or name =~ \"^GET\" or attributes[\"http.route\"] == \"/x\" or service != \"a\" or traceId == \"" + TraceIdHex + "\"");
        var resource = MakeResource();
        var scope = MakeScope();
        var span = MakeSpan(attributes: Attribute("http.route", "/orders"));
        var matched = 0;
        for (var n = 0; n < 100; n++)
        {
            matched += condition.Matches(resource, scope, span) ? 1 : 0;
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var n = 0; n < 1000; n++)
        {
            matched += condition.Matches(resource, scope, span) ? 1 : 0;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(1100, matched);
        Assert.Equal(0, allocated);
    }
}
