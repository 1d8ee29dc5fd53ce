using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OtlpFlow.Hosting;

namespace OtlpFlow.Worker;

/// <summary>
/// Serves <c>/healthz</c> (the process answers: liveness) and <c>/readyz</c> (the pipeline is running
/// and not draining: readiness) on its own small Kestrel server. Registered before the pipeline so
/// that it starts first and stops last: probes get answers during the whole drain.
/// </summary>
internal sealed partial class HealthEndpointService(
    IOptions<HealthOptions> options,
    IServiceProvider services,
    ILogger<HealthEndpointService> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _server;

    /// <summary>The base address the endpoints were bound to, once started.</summary>
    public Uri? Address { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var address = options.Value.Address;
        if (!ListenAddress.TryParse(address, out var endpoint))
        {
            throw new InvalidOperationException($"configuration '{HealthOptions.SectionName}:Address' must be host:port such as \"127.0.0.1:8081\", got \"{address}\"");
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(endpoint);
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        _server = app;
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        LogListening(logger, new Uri(Address, "/healthz"), new Uri(Address, "/readyz"));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            await _server.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }

    private Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        response.ContentType = "text/plain";
        switch (context.Request.Path.Value)
        {
            case "/healthz":
                return response.WriteAsync("ok\n", context.RequestAborted);
            case "/readyz":
                var ready = services.GetService<PipelineHostedService>()?.IsReady == true;
                response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
                return response.WriteAsync(ready ? "ready\n" : "not ready\n", context.RequestAborted);
            default:
                response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "health endpoints: {Liveness} and {Readiness}")]
    private static partial void LogListening(ILogger logger, Uri liveness, Uri readiness);
}
