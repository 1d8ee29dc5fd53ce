using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
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
    /// <summary>
    /// An OTLP/HTTP traces peer on loopback (Kestrel, on a port it picks) that answers 400 to a request
    /// holding a span named "bad". (HttpListener served this test before: on Linux it sometimes
    /// resets a connection after answering, the exporter rightly sends again, and a loaded run saw
    /// spans accepted twice.)
    /// </summary>
    private sealed class PickyPeer : IAsyncDisposable
    {
        private readonly List<string> _accepted = [];
        private readonly List<string> _requests = [];
        private WebApplication? _app;

        public Uri Endpoint { get; private set; } = null!;

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

        /// <summary>Each request served, in order: its span count, first and last span, and the answer.</summary>
        public IReadOnlyList<string> Requests
        {
            get
            {
                lock (_accepted)
                {
                    return [.. _requests];
                }
            }
        }

        public static async Task<PickyPeer> StartAsync()
        {
            var peer = new PickyPeer();
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            peer._app = builder.Build();
            peer._app.Run(peer.AnswerAsync);
            await peer._app.StartAsync();
            peer.Endpoint = new Uri(peer._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            return peer;
        }

        private async Task AnswerAsync(HttpContext context)
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var request = ExportTraceServiceRequest.Parser.ParseFrom(body.ToArray());
            var names = request.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).Select(s => s.Name).ToList();
            var bad = names.Contains("bad");
            lock (_accepted)
            {
                _requests.Add($"{names.Count} ({names.FirstOrDefault()}..{names.LastOrDefault()}) {(bad ? 400 : 200)}");
                if (bad)
                {
                    Refusals++;
                }
                else
                {
                    _accepted.AddRange(names);
                }
            }

            context.Response.ContentType = "application/x-protobuf";
            context.Response.StatusCode = bad ? 400 : 200;
            var answer = bad
                ? new OtlpFlow.Operators.Otlp.Protocol.Rpc.Status { Code = 3, Message = "span 'bad' is malformed" }.ToByteArray()
                : new ExportTraceServiceResponse().ToByteArray();
            await context.Response.Body.WriteAsync(answer);
        }

        public async ValueTask DisposeAsync()
        {
            if (_app is not null)
            {
                await _app.StopAsync();
                await _app.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_bad_span_in_a_merged_batch_is_refused_alone_and_every_good_span_is_delivered()
    {
        await using var peer = await PickyPeer.StartAsync();
        await using var front = await TestPipeline.StartAsync($$"""
            { "operators": {
                "in":    { "type": "otlp.receiver", "http": "127.0.0.1:0", "ack": "delivered" },
                "batch": { "type": "batch", "inputs": ["in"], "size": 100000, "timeout": "500ms" },
                "exp":   { "type": "otlp.exporter", "inputs": ["batch"], "endpoint": "{{peer.Endpoint.ToString().TrimEnd('/')}}",
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
        var exporter = (OtlpExporterOperator)front.Pipeline.Operators["exp"];
        Assert.True(accepted.SequenceEqual(expected),
            $"accepted {accepted.Count} of {expected.Count}; missing: {string.Join(", ", missing.Take(10))}; twice: {string.Join(", ", twice.Take(10))}; " +
            $"not sent by this test: {string.Join(", ", foreign.Take(10))}; refusals {peer.Refusals}; exporter retries {exporter.Statistics.Retries}; " +
            $"requests served: {string.Join("; ", peer.Requests)}");
        Assert.True(peer.Refusals >= 1);

        Assert.Equal(1, exporter.Statistics.RejectedItems);
        Assert.Equal(399, exporter.Statistics.SentItems);
        Assert.Equal(0, exporter.Statistics.FailedItems);

        // The client whose request held the bad span hears of it as a partial success.
        var answer = ExportTraceServiceResponse.Parser.ParseFrom(await responses[2].Content.ReadAsByteArrayAsync());
        Assert.Equal(1, answer.PartialSuccess?.RejectedSpans);
    }
}
