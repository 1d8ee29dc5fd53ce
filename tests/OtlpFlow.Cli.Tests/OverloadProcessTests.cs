using System.Globalization;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using Xunit.Abstractions;
using SpanStatus = OpenTelemetry.Proto.Trace.V1.Status;

namespace OtlpFlow.Cli.Tests;

/// <summary>
/// Overload of a real `otlpflow run` process with a 64MiB memory budget (guarantee 7), bounded in
/// time: clients push realistic spans (HTTP attributes, events, resource attributes, about 300
/// bytes a span on the wire, several times more once decoded) as fast as they can, for 10 to 30 s, into a
/// graph whose edges could queue gigabytes and whose sink passes 4,000 spans/s. Without
/// backpressure on real memory the queues fill; with it the process's peak resident memory stays
/// within 1.5 × the budget plus a fixed base, clients are throttled with retry information, and
/// every span acknowledged is delivered.
/// </summary>
[Collection(MemoryPeakCollection.Name)]
public sealed class OverloadProcessTests(ITestOutputHelper output) : IDisposable
{
    private const int SinkSpansPerSecond = 4_000;
    private const int SpansPerRequest = 500;
    private const int Callers = 16;
    private const long MiB = 1024 * 1024;
    private const long Budget = 64 * MiB;

    // Guarantee 7: the budget times 1.5, plus the base of a process with a gRPC listener.
    private const long PeakLimit = (Budget * 3 / 2) + (150 * MiB);

    private static readonly string[] Services = ["checkout", "payments", "inventory", "frontend"];
    private static readonly string[] Routes = ["/api/orders/{id}", "/api/cart", "/api/payments/authorize", "/api/items/{sku}", "/healthz"];
    private static readonly string[] Methods = ["GET", "POST", "PUT"];

    private readonly string _folder = Directory.CreateTempSubdirectory("otlpflow-overload-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Overload_with_realistic_spans_is_throttled_within_the_memory_budget_and_loses_nothing_acknowledged()
    {
        var port = OtlpflowProcess.FreePort();
        var pipeline = Path.Combine(_folder, "overload.json");
        var written = Path.Combine(_folder, "delivered.pb").Replace('\\', '/');

        // Capacity 4000 batches an edge: only the memory budget stands between the clients and gigabytes.
        await File.WriteAllTextAsync(pipeline, $$"""
            { "name": "overload", "memoryLimit": "64MiB", "drainTimeout": "30s", "defaults": { "capacity": 4000 },
              "operators": {
                "in":    { "type": "otlp.receiver", "grpc": "127.0.0.1:{{port}}", "ack": "accepted",
                           "admissionTimeout": "100ms", "retryAfter": "20ms" },
                "limit": { "type": "flow.tokenBucket", "inputs": ["in"], "rate": {{SinkSpansPerSecond}},
                           "burst": {{SinkSpansPerSecond}}, "unit": "items", "onLimit": "wait" },
                "sink":  { "type": "file.writer", "inputs": ["limit"], "path": "{{written}}", "format": "protobuf" } } }
            """);

        await using var child = OtlpflowProcess.Start("run", pipeline);
        await OtlpflowProcess.WaitForPortAsync(port, TimeSpan.FromSeconds(60));

        // Encoded once: the test's own CPU goes to sending, not to encoding the same requests again.
        var requests = Enumerable.Range(0, 8).Select(i => Request(i).ToByteArray()).ToArray();
        var wireBytesPerSpan = (double)requests[0].Length / SpansPerRequest;
        long acknowledged = 0, throttled = 0, withoutRetryInfo = 0, offered = 0, sent = 0;
        var otherErrors = new List<string>();
        var noRetryInfo = new List<string>();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        var export = new Method<byte[], byte[]>(MethodType.Unary, "opentelemetry.proto.collector.trace.v1.TraceService", "Export", Raw, Raw);

        // At least 10 s, and until the clients offered several times the budget on the wire (a busy
        // machine sends slower), but never more than 30 s.
        var started = DateTime.UtcNow;
        bool Sending() => DateTime.UtcNow - started is var elapsed
            && elapsed < TimeSpan.FromSeconds(30)
            && (elapsed < TimeSpan.FromSeconds(10) || Interlocked.Read(ref sent) < 3 * Budget);
        var callers = Enumerable.Range(0, Callers).Select(c => Task.Run(async () =>
        {
            for (var i = c; Sending(); i++)
            {
                var request = requests[i % requests.Length];
                Interlocked.Add(ref offered, SpansPerRequest);
                Interlocked.Add(ref sent, request.Length);
                try
                {
                    await channel.CreateCallInvoker().AsyncUnaryCall(export, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)), request);
                    Interlocked.Add(ref acknowledged, SpansPerRequest);
                }
                catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.ResourceExhausted)
                {
                    Interlocked.Increment(ref throttled);
                    if (!HasRetryInfo(ex))
                    {
                        Interlocked.Increment(ref withoutRetryInfo);
                        lock (otherErrors)
                        {
                            noRetryInfo.Add($"{ex.StatusCode}: {ex.Status.Detail}");
                        }
                    }
                }
                catch (RpcException ex)
                {
                    lock (otherErrors)
                    {
                        otherErrors.Add($"{ex.StatusCode}: {ex.Status.Detail}");
                    }
                }
            }
        })).ToArray();
        await Task.WhenAll(callers);

        var peak = child.PeakResidentBytes();
        var exit = await child.TerminateAsync(TimeSpan.FromSeconds(60));
        var figures = $"offered {offered} spans ({sent / MiB} MiB on the wire, {wireBytesPerSpan:0} bytes a span), acknowledged {acknowledged}, " +
            $"throttled {throttled} requests, peak resident {peak / MiB} MiB (limit {PeakLimit / MiB} MiB)";

        output.WriteLine(figures);
        Assert.True(exit == 0, $"exit code {exit}; {figures}\n{child.Log}");
        Assert.DoesNotContain("OutOfMemoryException", child.Log, StringComparison.Ordinal);
        Assert.True(otherErrors.Count == 0, $"{string.Join("; ", otherErrors.Distinct().Take(5))}; {figures}");

        // The clients offered several times what the budget holds, far more than the sink passes.
        Assert.True(sent >= 2 * Budget, $"too little load: {figures}");
        Assert.True(throttled > 0, $"no client was throttled: {figures}");
        Assert.True(withoutRetryInfo == 0, $"{withoutRetryInfo} throttling answers came without RetryInfo ({string.Join("; ", noRetryInfo.Distinct().Take(3))}): {figures}");
        Assert.True(peak <= PeakLimit, $"over the memory limit: {figures}");

        // Counted at the far end: the spans the drained process wrote to its file, read back.
        long delivered = 0;
        await using (var file = File.OpenRead(written))
        {
            while (file.Position < file.Length)
            {
                delivered += ExportTraceServiceRequest.Parser.ParseDelimitedFrom(file).ResourceSpans.SelectMany(r => r.ScopeSpans).Sum(s => s.Spans.Count);
            }
        }

        Assert.True(delivered >= acknowledged, $"the file holds {delivered} spans; {figures}");
    }

    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);

    /// <summary>True when the answer's google.rpc.Status details carry a google.rpc.RetryInfo.</summary>
    private static bool HasRetryInfo(RpcException ex) =>
        ex.Trailers.GetValueBytes("grpc-status-details-bin") is { } details
        && Encoding.ASCII.GetString(details).Contains("google.rpc.RetryInfo", StringComparison.Ordinal);

    /// <summary>
    /// A request shaped like what an instrumented HTTP service exports (and like the built-in
    /// generator's): four services with their resource attributes, server and client spans with
    /// HTTP semantic-convention attributes, some with events and error status.
    /// </summary>
    private static ExportTraceServiceRequest Request(int seed)
    {
        var random = new Random(seed);
        var request = new ExportTraceServiceRequest();
        var start = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        var perService = SpansPerRequest / Services.Length;
        foreach (var service in Services)
        {
            var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "OpenTelemetry.Instrumentation.AspNetCore", Version = "1.12.0" } };
            for (var i = 0; i < perService; i++)
            {
                var route = Routes[random.Next(Routes.Length)];
                var method = Methods[random.Next(Methods.Length)];
                var status = random.Next(20) == 0 ? 500 : 200;
                var begin = start + (ulong)random.Next(1_000_000_000);
                var span = new Span
                {
                    TraceId = Bytes(random, 16),
                    SpanId = Bytes(random, 8),
                    ParentSpanId = i % 4 == 0 ? ByteString.Empty : Bytes(random, 8),
                    Name = $"{method} {route}",
                    Kind = i % 4 == 0 ? Span.Types.SpanKind.Server : Span.Types.SpanKind.Client,
                    StartTimeUnixNano = begin,
                    EndTimeUnixNano = begin + (ulong)random.Next(100_000, 50_000_000),
                    Attributes =
                    {
                        Attribute("http.request.method", method),
                        Attribute("url.full", $"https://{service}.shop.example.com{route.Replace("{id}", random.Next(100_000).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)}?page={random.Next(50)}"),
                        Attribute("http.response.status_code", status),
                        Attribute("server.address", $"{service}.shop.example.com"),
                        Attribute("server.port", 443),
                        Attribute("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64; rv:143.0) Gecko/20100101 Firefox/143.0"),
                        Attribute("tenant", $"tenant-{random.Next(5)}"),
                    },
                    Status = new SpanStatus { Code = status == 500 ? SpanStatus.Types.StatusCode.Error : SpanStatus.Types.StatusCode.Unset },
                };
                if (random.Next(3) == 0)
                {
                    span.Events.Add(new Span.Types.Event
                    {
                        Name = status == 500 ? "exception" : "cache.miss",
                        TimeUnixNano = begin + 50_000,
                        Attributes = { Attribute("exception.type", "System.TimeoutException"), Attribute("retry.count", random.Next(3)) },
                    });
                }

                scope.Spans.Add(span);
            }

            request.ResourceSpans.Add(new ResourceSpans
            {
                Resource = new Resource
                {
                    Attributes =
                    {
                        Attribute("service.name", service),
                        Attribute("service.version", "2.14.1"),
                        Attribute("service.instance.id", Guid.NewGuid().ToString()),
                        Attribute("host.name", $"node-{random.Next(12)}"),
                        Attribute("k8s.pod.name", $"{service}-7d9f8b6c5-{random.Next(10_000)}"),
                        Attribute("deployment.environment.name", "production"),
                        Attribute("telemetry.sdk.language", "dotnet"),
                        Attribute("telemetry.sdk.version", "1.12.0"),
                    },
                },
                ScopeSpans = { scope },
            });
        }

        return request;
    }

    private static ByteString Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }

    private static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Attribute(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };
}
