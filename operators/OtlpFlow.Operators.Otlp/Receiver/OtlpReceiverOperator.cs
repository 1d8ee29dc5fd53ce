using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Operators.Otlp.Protocol;

namespace OtlpFlow.Operators.Otlp.Receiver;

/// <summary>
/// Receives OTLP traces, metrics and logs over gRPC and HTTP (protobuf and JSON) on Kestrel, and
/// emits each export request as one batch: on the port of its signal (<c>traces</c>,
/// <c>metrics</c>, <c>logs</c>) and on <c>out</c>. Clients are answered as the OTLP specification
/// says: throttled (with a retry delay) when the graph has no room in time or the pipeline is over
/// its memory budget, and, in <c>delivered</c> mode, only once their data is settled downstream.
/// </summary>
[Operator("otlp.receiver", Options = typeof(OtlpReceiverOptions),
    Description = "Receives OTLP over gRPC and HTTP (protobuf, JSON) with throttling and end-to-end acknowledgements.",
    Example = """{ "grpc": "127.0.0.1:4317", "http": "127.0.0.1:4318" }""")]
public sealed partial class OtlpReceiverOperator : ServerSourceOperator
{
    private static readonly IReadOnlyList<string> Ports = ["traces", "metrics", "logs", IOperatorOutput.DefaultPort];

    private readonly OtlpReceiverOptions _options;
    private readonly ReceiverIngest _ingest;
    private readonly List<WebApplication> _servers = [];
    private HttpsConnectionAdapterOptions? _https;

    /// <summary>Creates the receiver; it binds its endpoints in <see cref="StartAsync"/>.</summary>
    public OtlpReceiverOperator(OtlpReceiverOptions options, OperatorContext context)
        : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _ingest = new ReceiverIngest(options, context);
    }

    /// <inheritdoc />
    public override IReadOnlyList<string> OutputPorts => Ports;

    /// <summary>The bound gRPC endpoint (<c>http://127.0.0.1:port</c>) once started; null without gRPC.</summary>
    public Uri? GrpcEndpoint { get; private set; }

    /// <summary>The bound HTTP endpoint (<c>http://127.0.0.1:port</c>) once started; null without HTTP.</summary>
    public Uri? HttpEndpoint { get; private set; }

    /// <summary>Counts of the answers given so far.</summary>
    public ReceiverStatistics Statistics => _ingest.Statistics;

    /// <summary>Binds the endpoints, so that their addresses are known before data flows.</summary>
    /// <exception cref="OperatorFaultException">An endpoint cannot be bound.</exception>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _https = _options.Tls is { } tls ? HttpsOptions(tls) : null;
            if (!string.IsNullOrWhiteSpace(_options.Grpc))
            {
                var handler = new GrpcReceiverHandler(_ingest);
                GrpcEndpoint = await StartServerAsync(_options.Grpc, HttpProtocols.Http2, handler.HandleAsync, cancellationToken).ConfigureAwait(false);
            }

            if (!string.IsNullOrWhiteSpace(_options.Http))
            {
                var handler = new HttpReceiverHandler(_ingest);
                // HTTP/2 on the HTTP endpoint needs TLS (negotiated with ALPN); without it, HTTP/1.1 only.
                var protocols = _https is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                HttpEndpoint = await StartServerAsync(_options.Http, protocols, handler.HandleAsync, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            await StopServersAsync().ConfigureAwait(false);
            throw new OperatorFaultException($"operator '{Context.Id}': cannot listen: {ex.Message}", ex);
        }

        LogListening(Context.Logger, Context.Id, GrpcEndpoint?.ToString() ?? "-", HttpEndpoint?.ToString() ?? "-");
    }

    /// <inheritdoc />
    protected override void Accept(IOperatorOutput output) => _ingest.Attach(output);

    /// <summary>Stops the servers (requests in progress finish), then refuses whatever request is still around, so nothing is emitted after this source completed.</summary>
    protected override async Task StopAcceptingAsync()
    {
        await StopServersAsync().ConfigureAwait(false);
        await _ingest.CloseAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the servers if still running.</summary>
    public override async ValueTask DisposeAsync()
    {
        await StopServersAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<Uri> StartServerAsync(string endpointText, HttpProtocols protocols, RequestDelegate handler, CancellationToken cancellationToken)
    {
        if (!ReceiverEndpoint.TryParse(endpointText, out var endpoint))
        {
            throw new InvalidOperationException($"'{endpointText}' is not an endpoint of the form host:port");
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;

            // The receiver enforces maxRequestSize itself, on compressed and decompressed bytes.
            kestrel.Limits.MaxRequestBodySize = null;

            // And a stalled body itself (bodyIdleTimeout), answering that request: Kestrel's minimum
            // data rate would end an HTTP/2 connection, every request on it, with no answer.
            kestrel.Limits.MinRequestBodyDataRate = null;

            // What Kestrel buffers ahead of the handler is memory outside the budget: every HTTP/2
            // connection may hold a whole flow-control window of unread request data. 256 KiB a
            // connection (instead of 1 MiB) keeps 64 uploading clients to 16 MiB, and still fills
            // a loopback or LAN link.
            kestrel.Limits.Http2.InitialConnectionWindowSize = 256 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 256 * 1024;
            kestrel.Listen(endpoint, listen =>
            {
                listen.Protocols = protocols;
                if (_https is not null)
                {
                    listen.UseHttps(_https);
                }
            });
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = _options.ShutdownTimeout);
        builder.Logging.AddProvider(new ServerLogging(Context.Logger));
        var app = builder.Build();
        app.Run(handler);
        _servers.Add(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(address);
        if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var bound) && (bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any)))
        {
            uri = new UriBuilder(uri) { Host = "127.0.0.1" }.Uri;
        }

        return uri;
    }

    private static HttpsConnectionAdapterOptions HttpsOptions(ReceiverTlsOptions tls)
    {
        var https = new HttpsConnectionAdapterOptions { ServerCertificate = TlsFiles.LoadCertificate(tls.CertFile, tls.KeyFile) };
        if (tls.ClientCaFile is { } caFile)
        {
            var roots = TlsFiles.LoadAuthorities(caFile);
            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.ClientCertificateValidation = (certificate, _, _) => TlsFiles.ChainsTo(certificate, roots, TlsFiles.ClientAuthentication);
        }

        return https;
    }

    private async Task StopServersAsync()
    {
        foreach (var app in _servers)
        {
            using var timeout = new CancellationTokenSource(_options.ShutdownTimeout);
            try
            {
                await app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Connections still open past the shutdown timeout are closed by DisposeAsync.
            }

            await app.DisposeAsync().ConfigureAwait(false);
        }

        _servers.Clear();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "operator '{OperatorId}': OTLP/gRPC on {Grpc}, OTLP/HTTP on {Http}")]
    private static partial void LogListening(ILogger logger, string operatorId, string grpc, string http);
}
