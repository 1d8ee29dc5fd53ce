using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Otlp.Exporter;

namespace OtlpFlow.Operators.Otlp.Tests.Exporter;

/// <summary>
/// A peer that dies while a call is in progress resets the stream; the gRPC client reports that as
/// INTERNAL, a status the peer never sent. Whether the data arrived is unknown, so the sender
/// calls it retryable: a load balancer or exporter then sends it again (or to another member)
/// instead of dropping data that the sender's own client was already told is accepted.
/// </summary>
public sealed class GrpcBrokenCallTests
{
    [Fact]
    public async Task A_call_the_peer_reset_is_retryable_and_the_retry_is_delivered()
    {
        var calls = 0;
        await using var peer = await StartPeerAsync(async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            if (Interlocked.Increment(ref calls) == 1)
            {
                // What a server shutting down past its grace period does to a call in progress.
                context.Abort();
                return;
            }

            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(new byte[5]);
            context.Response.AppendTrailer("grpc-status", "0");
        });

        var address = peer.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        await using var sender = new GrpcOtlpSender(new OtlpExporterOptions { Endpoint = address, Protocol = OtlpProtocol.Grpc });
        var request = new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { new Span { Name = "s" } } } } } } };

        var broken = await sender.SendAsync(Signal.Traces, request, CancellationToken.None);
        Assert.False(broken.Succeeded);
        Assert.StartsWith("Internal", broken.Message);
        Assert.True(broken.Retryable, "a reset call says nothing about whether the peer took the data");

        var retried = await sender.SendAsync(Signal.Traces, request, CancellationToken.None);
        Assert.True(retried.Succeeded, retried.Message);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task An_internal_status_the_peer_sent_stays_permanent()
    {
        await using var peer = await StartPeerAsync(async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            context.Response.ContentType = "application/grpc";
            context.Response.AppendTrailer("grpc-status", "13");
            context.Response.AppendTrailer("grpc-message", "bad day");
        });

        var address = peer.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        await using var sender = new GrpcOtlpSender(new OtlpExporterOptions { Endpoint = address, Protocol = OtlpProtocol.Grpc });

        var result = await sender.SendAsync(Signal.Traces, new ExportTraceServiceRequest(), CancellationToken.None);
        Assert.False(result.Succeeded);
        Assert.False(result.Retryable);
        Assert.Equal("Internal: bad day", result.Message);
    }

    private static async Task<WebApplication> StartPeerAsync(RequestDelegate handler)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        return app;
    }
}
