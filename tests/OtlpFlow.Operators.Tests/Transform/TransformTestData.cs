using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Operators.Tests.Transform;

internal static class TransformTestData
{
    public static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    public static Resource MakeResource(string service)
    {
        var resource = new Resource();
        resource.Attributes.Add(Attribute("service.name", service));
        return resource;
    }

    public static Span MakeSpan(string name, Status.Types.StatusCode status = Status.Types.StatusCode.Unset) =>
        new() { Name = name, Kind = Span.Types.SpanKind.Server, Status = new Status { Code = status } };

    /// <summary>
    /// Two services; checkout has two scopes. Spans: checkout/http: GET /health, GET /orders, POST /orders;
    /// checkout/db: GET /health; billing/http: GET /health, charge (error).
    /// </summary>
    public static ExportTraceServiceRequest Traces()
    {
        var request = new ExportTraceServiceRequest();
        var checkout = new ResourceSpans { Resource = MakeResource("checkout"), SchemaUrl = "https://opentelemetry.io/schemas/1.26.0" };
        var http = new ScopeSpans { Scope = new InstrumentationScope { Name = "http" }, SchemaUrl = "s1" };
        http.Spans.Add([MakeSpan("GET /health"), MakeSpan("GET /orders"), MakeSpan("POST /orders")]);
        var db = new ScopeSpans { Scope = new InstrumentationScope { Name = "db" } };
        db.Spans.Add(MakeSpan("GET /health"));
        checkout.ScopeSpans.Add([http, db]);
        var billing = new ResourceSpans { Resource = MakeResource("billing") };
        var billingHttp = new ScopeSpans { Scope = new InstrumentationScope { Name = "http" } };
        billingHttp.Spans.Add([MakeSpan("GET /health"), MakeSpan("charge", Status.Types.StatusCode.Error)]);
        billing.ScopeSpans.Add(billingHttp);
        request.ResourceSpans.Add([checkout, billing]);
        return request;
    }

    /// <summary>One resource, one scope, log records of the given severities.</summary>
    public static ExportLogsServiceRequest Logs(params SeverityNumber[] severities)
    {
        var scope = new ScopeLogs { Scope = new InstrumentationScope { Name = "app" } };
        foreach (var severity in severities)
        {
            scope.LogRecords.Add(new LogRecord { SeverityNumber = severity, Body = new AnyValue { StringValue = severity.ToString() } });
        }

        var resource = new ResourceLogs { Resource = MakeResource("checkout") };
        resource.ScopeLogs.Add(scope);
        var request = new ExportLogsServiceRequest();
        request.ResourceLogs.Add(resource);
        return request;
    }

    /// <summary>One metric of each type, each with two points: host web-1 and host web-2.</summary>
    public static ExportMetricsServiceRequest Metrics()
    {
        static T Host<T>(T point, string host) where T : Google.Protobuf.IMessage
        {
            var attributes = (Google.Protobuf.Collections.RepeatedField<KeyValue>)point.Descriptor.FindFieldByName("attributes").Accessor.GetValue(point);
            attributes.Add(Attribute("host", host));
            return point;
        }

        var scope = new ScopeMetrics { Scope = new InstrumentationScope { Name = "runtime" } };
        var gauge = new Metric { Name = "cpu", Unit = "1", Gauge = new Gauge() };
        gauge.Gauge.DataPoints.Add([Host(new NumberDataPoint { AsDouble = 0.2 }, "web-1"), Host(new NumberDataPoint { AsDouble = 0.9 }, "web-2")]);
        var sum = new Metric { Name = "requests", Sum = new Sum { IsMonotonic = true, AggregationTemporality = AggregationTemporality.Cumulative } };
        sum.Sum.DataPoints.Add([Host(new NumberDataPoint { AsInt = 5 }, "web-1"), Host(new NumberDataPoint { AsInt = 7 }, "web-2")]);
        var histogram = new Metric { Name = "latency", Histogram = new Histogram { AggregationTemporality = AggregationTemporality.Delta } };
        histogram.Histogram.DataPoints.Add([Host(new HistogramDataPoint { Count = 1 }, "web-1"), Host(new HistogramDataPoint { Count = 2 }, "web-2")]);
        var exponential = new Metric { Name = "latency.exp", ExponentialHistogram = new ExponentialHistogram { AggregationTemporality = AggregationTemporality.Delta } };
        exponential.ExponentialHistogram.DataPoints.Add([Host(new ExponentialHistogramDataPoint { Count = 1 }, "web-1"), Host(new ExponentialHistogramDataPoint { Count = 2 }, "web-2")]);
        var summary = new Metric { Name = "gc", Description = "pauses", Summary = new Summary() };
        summary.Summary.DataPoints.Add([Host(new SummaryDataPoint { Count = 1 }, "web-1"), Host(new SummaryDataPoint { Count = 2 }, "web-2")]);
        scope.Metrics.Add([gauge, sum, histogram, exponential, summary]);
        var resource = new ResourceMetrics { Resource = MakeResource("checkout") };
        resource.ScopeMetrics.Add(scope);
        var request = new ExportMetricsServiceRequest();
        request.ResourceMetrics.Add(resource);
        return request;
    }
}
