using System.Net.Http.Headers;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Operators.Otlp.Tests.Support;

/// <summary>Hand-made OTLP requests and raw HTTP calls for protocol-level tests.</summary>
internal static class Requests
{
    public static ExportTraceServiceRequest Traces(int spans, string service = "svc", int seed = 1)
    {
        var random = new Random(seed);
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "test", Version = "1" } };
        for (var i = 0; i < spans; i++)
        {
            var traceId = new byte[16];
            var spanId = new byte[8];
            random.NextBytes(traceId);
            random.NextBytes(spanId);
            scope.Spans.Add(new Span
            {
                TraceId = ByteString.CopyFrom(traceId),
                SpanId = ByteString.CopyFrom(spanId),
                Name = "span-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Kind = Span.Types.SpanKind.Server,
                StartTimeUnixNano = 1_000_000_000UL + (ulong)i,
                EndTimeUnixNano = 2_000_000_000UL + (ulong)i,
                Attributes = { new KeyValue { Key = "i", Value = new AnyValue { IntValue = i } } },
            });
        }

        var resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = service } } } };
        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { Resource = resource, ScopeSpans = { scope } } } };
    }

    public static HttpClient Client() => new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>The google.rpc.Status in a <c>grpc-status-details-bin</c> value as sent (base64 without padding).</summary>
    public static OtlpFlow.Operators.Otlp.Protocol.Rpc.Status StatusDetails(string value) =>
        OtlpFlow.Operators.Otlp.Protocol.Rpc.Status.Parser.ParseFrom(Convert.FromBase64String(value.PadRight(value.Length + ((4 - (value.Length % 4)) % 4), '=')));

    public static HttpRequestMessage Post(Uri endpoint, string path, byte[] body, string contentType, string? encoding = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (encoding is not null)
        {
            content.Headers.ContentEncoding.Add(encoding);
        }

        return new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, path)) { Content = content };
    }

    public static async Task<HttpResponseMessage> PostProtobufAsync(HttpClient client, Uri endpoint, IMessage request, string path = "v1/traces")
    {
        using var message = Post(endpoint, path, request.ToByteArray(), "application/x-protobuf");
        return await client.SendAsync(message);
    }
}
