using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Cli.Tests;

/// <summary>
/// Overload, bounded in time: clients offer about ten times what the pipeline can deliver for 20 s
/// to an `otlpflow run` process with a 256MiB memory budget. The process stays within the budget
/// plus 10% of resident memory, clients are throttled, and every span acknowledged is delivered.
/// </summary>
public sealed class OverloadProcessTests : IDisposable
{
    private const int SustainableSpansPerSecond = 2_000;
    private const int SpansPerRequest = 500;
    private const long Budget = 256L * 1024 * 1024;

    private readonly string _folder = Directory.CreateTempSubdirectory("otlpflow-overload-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static ExportTraceServiceRequest Request()
    {
        var random = new Random(7);
        var scope = new ScopeSpans();
        for (var i = 0; i < SpansPerRequest; i++)
        {
            var traceId = new byte[16];
            var spanId = new byte[8];
            random.NextBytes(traceId);
            random.NextBytes(spanId);
            scope.Spans.Add(new Span { Name = "GET /items", TraceId = ByteString.CopyFrom(traceId), SpanId = ByteString.CopyFrom(spanId) });
        }

        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { scope } } } };
    }

    [Fact]
    public async Task Ten_times_the_sustainable_rate_is_throttled_within_the_memory_budget_and_loses_nothing_acknowledged()
    {
        var port = OtlpflowProcess.FreePort();
        var pipeline = Path.Combine(_folder, "overload.json");
        await File.WriteAllTextAsync(pipeline, $$"""
            { "name": "overload", "memoryLimit": "256MiB", "defaults": { "capacity": 16 },
              "operators": {
                "in":    { "type": "otlp.receiver", "grpc": "127.0.0.1:{{port}}", "ack": "delivered",
                           "admissionTimeout": "50ms", "retryAfter": "50ms" },
                "limit": { "type": "flow.tokenBucket", "inputs": ["in"], "rate": {{SustainableSpansPerSecond}},
                           "burst": {{SustainableSpansPerSecond}}, "unit": "items", "onLimit": "wait" },
                "sink":  { "type": "debug", "inputs": ["limit"] } } }
            """);

        await using var child = OtlpflowProcess.Start("run", pipeline);
        await OtlpflowProcess.WaitForPortAsync(port, TimeSpan.FromSeconds(60));

        var request = Request();
        long acknowledged = 0, throttled = 0, offered = 0;
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        var client = new TraceService.TraceServiceClient(channel);
        var until = DateTime.UtcNow.AddSeconds(20);
        var callers = Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            while (DateTime.UtcNow < until)
            {
                Interlocked.Add(ref offered, SpansPerRequest);
                try
                {
                    await client.ExportAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));
                    Interlocked.Add(ref acknowledged, SpansPerRequest);
                }
                catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.ResourceExhausted)
                {
                    Interlocked.Increment(ref throttled);
                }
            }
        })).ToArray();
        await Task.WhenAll(callers);

        var peak = child.PeakResidentBytes();
        Assert.Equal(0, await child.TerminateAsync(TimeSpan.FromSeconds(60)));

        // Offered at least ten times what the limiter lets through in 20 s.
        Assert.True(offered >= 10L * SustainableSpansPerSecond * 20, $"offered only {offered} spans");
        Assert.True(throttled > 0, "no client was throttled");
        Assert.True(peak <= Budget * 11 / 10, $"peak resident memory {peak / (1024 * 1024)} MiB is over the 256MiB budget + 10%");

        // The sink's row of the summary: "sink  debug  sink  <in>  <out> ...".
        var row = child.Log.Split('\n').Select(l => l.Trim()).Last(l => l.StartsWith("sink ", StringComparison.Ordinal));
        var delivered = long.Parse(row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[4], CultureInfo.InvariantCulture);
        Assert.True(delivered >= acknowledged, $"acknowledged {acknowledged} spans but the sink delivered {delivered}");
    }
}
