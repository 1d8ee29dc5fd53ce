using System.Net;
using Apache.Arrow.Flight.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Operators.Arrow.Memory;
using OtlpFlow.Operators.Arrow.Operators;

namespace OtlpFlow.Operators.Arrow.Flight;

/// <summary>
/// An Arrow Flight server (gRPC on Kestrel) that takes DoPut streams from
/// <c>arrow.flight.exporter</c>, decodes each message and emits it as an OTLP batch, and answers
/// every batch with a put result carrying its sequence number.
/// </summary>
[Operator("arrow.flight.receiver", Options = typeof(ArrowFlightReceiverOptions),
    Description = "Receives Arrow-encoded OTLP over Arrow Flight DoPut streams, with an acknowledgement per batch.",
    Example = """{ "endpoint": "127.0.0.1:4319" }""")]
public sealed partial class ArrowFlightReceiverOperator : ServerSourceOperator
{
    private readonly ArrowFlightReceiverOptions _options;
    private readonly FlightIngest _ingest;
    private WebApplication? _server;

    /// <summary>Creates the receiver; it listens from <see cref="StartAsync"/>.</summary>
    public ArrowFlightReceiverOperator(ArrowFlightReceiverOptions options, OperatorContext context)
        : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        Memory = new TrackingMemoryAllocator(options.MemoryLimit.Bytes);
        _ingest = new FlightIngest(options, context, Memory);
        ArrowMetrics.ObserveMemory(context.Meter, Memory, new("operator", context.Id));
    }

    /// <summary>The receiver's Arrow memory pool.</summary>
    public TrackingMemoryAllocator Memory { get; }

    /// <summary>The bound address (<c>http://127.0.0.1:port</c>) once started.</summary>
    public Uri? Endpoint { get; private set; }

    /// <summary>DoPut streams opened so far.</summary>
    public long Streams => _ingest.Streams;

    /// <summary>Batches received so far.</summary>
    public long Batches => _ingest.Batches;

    /// <inheritdoc />
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!IPEndPoint.TryParse(_options.Endpoint, out var endpoint))
        {
            throw new OperatorFaultException($"operator '{Context.Id}': 'endpoint' must be an IP address and port such as \"127.0.0.1:4319\", got \"{_options.Endpoint}\"");
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(endpoint, listen => listen.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddRouting();
        builder.Services.AddSingleton(_ingest);
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = (int)_options.MaxMessageSize.Bytes;
            o.MaxSendMessageSize = (int)_options.MaxMessageSize.Bytes;
        }).AddFlightServer<OtlpFlightServer>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = _options.ShutdownTimeout);
        builder.Logging.AddProvider(new ServerLogging(Context.Logger));
        var app = builder.Build();
        app.UseRouting();
        app.MapFlightEndpoint();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new OperatorFaultException($"operator '{Context.Id}': cannot listen on {_options.Endpoint}: {ex.Message}", ex);
        }

        _server = app;
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        if (IPAddress.TryParse(address.Host.Trim('[', ']'), out var bound) && (bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any)))
        {
            address = new UriBuilder(address) { Host = "127.0.0.1" }.Uri;
        }

        Endpoint = address;
        LogListening(Context.Logger, Context.Id, address);
    }

    /// <inheritdoc />
    protected override void Accept(IOperatorOutput output) => _ingest.Attach(output);

    /// <summary>Stops the server, letting the streams in progress finish within the shutdown timeout.</summary>
    protected override Task StopAcceptingAsync() => StopServerAsync();

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await StopServerAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async Task StopServerAsync()
    {
        var app = Interlocked.Exchange(ref _server, null);
        if (app is null)
        {
            return;
        }

        using (var timeout = new CancellationTokenSource(_options.ShutdownTimeout))
        {
            try
            {
                await app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Streams still open past the timeout are ended below.
            }
        }

        _ingest.Close();
        await app.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "operator '{OperatorId}': Arrow Flight on {Endpoint}")]
    private static partial void LogListening(ILogger logger, string operatorId, Uri endpoint);
}
