using System.Net;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Operators.Otlp.Exporter;
using OtlpFlow.Operators.Otlp.Tests.Support;

namespace OtlpFlow.Operators.Otlp.Tests.Exporter;

/// <summary>
/// A peer that refuses a whole request with 400 when any span in it is bad (as the Collector does
/// for data it cannot decode): the exporter isolates the bad spans by halving, so the good spans of
/// every client in the merged batch are delivered, only the bad ones are refused and counted, and no
/// client is told its data failed.
/// </summary>
public sealed class InvalidDataIsolationTests
{
    /// <summary>An OTLP/HTTP traces peer on loopback that answers 400 to a request holding a span named "bad".</summary>
    private sealed class PickyPeer : IAsyncDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _serving;
        private readonly List<string> _accepted = [];

        public PickyPeer(int port)
        {
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _serving = Task.Run(ServeAsync);
        }

        public int Refusals { get; private set; }

        public IReadOnlyList<string> Accepted
        {
            get
            {
                lock (_accepted)
                {
                    return [.. _accepted];
                }
            }
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                try
                {
                    await AnswerAsync(context);
                }
                catch (Exception ex) when (ex is HttpListenerException or IOException)
                {
                    // The client went away (an attempt that timed out): as a server, go on to the next request.
                }
            }
        }

        private async Task AnswerAsync(HttpListenerContext context)
        {
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var request = ExportTraceServiceRequest.Parser.ParseFrom(body.ToArray());
            var names = request.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).Select(s => s.Name).ToList();
            context.Response.ContentType = "application/x-protobuf";
            if (names.Contains("bad"))
            {
                Refusals++;
                context.Response.StatusCode = 400;
                var status = new OtlpFlow.Operators.Otlp.Protocol.Rpc.Status { Code = 3, Message = "span 'bad' is malformed" }.ToByteArray();
                await context.Response.OutputStream.WriteAsync(status);
            }
            else
            {
                lock (_accepted)
                {
                    _accepted.AddRange(names);
                }

                await context.Response.OutputStream.WriteAsync(new ExportTraceServiceResponse().ToByteArray());
            }

            context.Response.Close();
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            _listener.Close();
            await _serving;
        }
    }

    [Fact]
    public async Task A_bad_span_in_a_merged_batch_is_refused_alone_and_every_good_span_is_delivered()
    {
        var peerPort = Ports.Free();
        await using var peer = new PickyPeer(peerPort);
        await using var front = await TestPipeline.StartAsync($$"""
            { "operators": {
                "in":    { "type": "otlp.receiver", "http": "127.0.0.1:0", "ack": "delivered" },
                "batch": { "type": "batch", "inputs": ["in"], "size": 100000, "timeout": "500ms" },
                "exp":   { "type": "otlp.exporter", "inputs": ["batch"], "endpoint": "http://127.0.0.1:{{peerPort}}",
                           "protocol": "http/protobuf", "compression": "none", "retry": { "initial": "20ms", "max": "100ms" } } } }
            """);

        using var client = Requests.Client();
        var requests = Enumerable.Range(0, 4).Select(c =>
        {
            var request = Requests.Traces(100, service: "client" + c, seed: c + 1);
            foreach (var span in request.ResourceSpans[0].ScopeSpans[0].Spans)
            {
                span.Name = $"c{c}-{span.Name}";
            }

            if (c == 2)
            {
                request.ResourceSpans[0].ScopeSpans[0].Spans[37].Name = "bad";
            }

            return request;
        }).ToList();

        var responses = await Task.WhenAll(requests.Select(r => Requests.PostProtobufAsync(client, front.Http(), r)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        var expected = requests.SelectMany(r => r.ResourceSpans[0].ScopeSpans[0].Spans).Select(s => s.Name).Where(n => n != "bad").Order().ToList();
        var accepted = peer.Accepted.Order().ToList();
        var missing = expected.Except(accepted).ToList();
        var twice = accepted.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        var foreign = accepted.Except(expected).ToList();
        Assert.True(accepted.SequenceEqual(expected),
            $"accepted {accepted.Count} of {expected.Count}; missing: {string.Join(", ", missing.Take(10))}; twice: {string.Join(", ", twice.Take(10))}; not sent by this test: {string.Join(", ", foreign.Take(10))}; refusals {peer.Refusals}");
        Assert.True(peer.Refusals >= 1);

        var exporter = (OtlpExporterOperator)front.Pipeline.Operators["exp"];
        Assert.Equal(1, exporter.Statistics.RejectedItems);
        Assert.Equal(399, exporter.Statistics.SentItems);
        Assert.Equal(0, exporter.Statistics.FailedItems);

        // The client whose request held the bad span hears of it as a partial success.
        var answer = ExportTraceServiceResponse.Parser.ParseFrom(await responses[2].Content.ReadAsByteArrayAsync());
        Assert.Equal(1, answer.PartialSuccess?.RejectedSpans);
    }
}
