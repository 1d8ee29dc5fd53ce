using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Hosting.Monitoring;

namespace OtlpFlow.Cli.Dashboard;

/// <summary>
/// The live dashboard of <c>otlpflow run --dashboard</c>: a self-contained page (no external
/// resources) on Kestrel, fed by a <see cref="PipelineMonitor"/>.
/// <list type="bullet">
/// <item><c>GET /</c>: the page, which draws the graph and updates from the event stream.</item>
/// <item><c>GET /api/topology</c>: operators (with layer and row for drawing) and edges, as JSON.</item>
/// <item><c>GET /api/snapshot</c>: the latest sample, as JSON.</item>
/// <item><c>GET /api/events</c>: server-sent events: <c>topology</c> once, then <c>snapshot</c> per
/// sample and <c>pipeline</c> per pipeline event; the stream ends when the pipeline's run ends.</item>
/// </list>
/// </summary>
internal sealed class DashboardServer : IAsyncDisposable
{
    /// <summary>The page's resource name in this assembly.</summary>
    public const string PageResource = "dashboard.html";

    // A slow browser must never slow the pipeline or the monitor: each stream keeps only the most
    // recent few messages and skips the rest (control events may be sampled).
    private const int StreamBuffer = 16;

    private readonly WebApplication _app;
    private readonly PipelineMonitor _monitor;
    private readonly byte[] _page;

    private DashboardServer(WebApplication app, PipelineMonitor monitor, byte[] page)
    {
        _app = app;
        _monitor = monitor;
        _page = page;
    }

    /// <summary>The address the dashboard is served on, such as <c>http://127.0.0.1:8080/</c>.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Starts serving on <paramref name="endpoint"/> (port 0 picks a free port).</summary>
    public static async Task<DashboardServer> StartAsync(IPEndPoint endpoint, PipelineMonitor monitor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(monitor);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(endpoint);
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        var app = builder.Build();
        var server = new DashboardServer(app, monitor, ReadPage());
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Address = new Uri(address.EndsWith('/') ? address : address + "/");
        return server;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static byte[] ReadPage()
    {
        using var stream = typeof(DashboardServer).Assembly.GetManifestResourceStream(PageResource)
            ?? throw new InvalidOperationException("The dashboard page is missing from the program.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "GET, HEAD";
            return Task.CompletedTask;
        }

        return request.Path.Value switch
        {
            "/" or "/index.html" => WriteAsync(context, "text/html; charset=utf-8", _page),
            "/api/topology" => WriteAsync(context, "application/json", JsonSerializer.SerializeToUtf8Bytes(_monitor.Topology, MonitoringJson.Options)),
            "/api/snapshot" => WriteAsync(context, "application/json", JsonSerializer.SerializeToUtf8Bytes(_monitor.Latest, MonitoringJson.Options)),
            "/api/events" => StreamAsync(context),
            _ => NotFound(context),
        };
    }

    private static Task NotFound(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    private static Task WriteAsync(HttpContext context, string contentType, byte[] body)
    {
        context.Response.ContentType = contentType;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private async Task StreamAsync(HttpContext context)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-store";

        // A stream ends when the monitor ends its snapshots (after sending what it holds, so the final
        // sample arrives), or when the browser goes away; a stream still open when the server stops
        // (a client that does not read) is cut at the server's shutdown timeout.
        var stop = context.RequestAborted;

        var messages = Channel.CreateBounded<string>(new BoundedChannelOptions(StreamBuffer) { FullMode = BoundedChannelFullMode.DropOldest });
        messages.Writer.TryWrite(Message("topology", _monitor.Topology));
        messages.Writer.TryWrite(Message("snapshot", _monitor.Latest));
        IDisposable? snapshots = null;
        IDisposable? events = null;
        try
        {
            snapshots = _monitor.Snapshots.Subscribe(new Forward<PipelineSnapshot>(messages.Writer, s => Message("snapshot", s)));
            events = _monitor.Events.Subscribe(new Forward<PipelineEvent>(messages.Writer, e => Message("pipeline", new
            {
                kind = e.Kind.ToString(),
                operatorId = e.OperatorId,
                message = e.Message,
                time = e.Time,
            })));
        }
        catch (ObjectDisposedException)
        {
            // The run has just ended: send what there is, and end.
            messages.Writer.TryComplete();
        }

        try
        {
            await response.StartAsync(stop).ConfigureAwait(false);
            await foreach (var message in messages.Reader.ReadAllAsync(stop).ConfigureAwait(false))
            {
                await response.WriteAsync(message, stop).ConfigureAwait(false);
                await response.Body.FlushAsync(stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The browser went away, or the dashboard stopped with this stream still open.
        }
        finally
        {
            snapshots?.Dispose();
            events?.Dispose();
        }
    }

    private static string Message<T>(string name, T value)
    {
        var data = new StringBuilder();
        data.Append("event: ").Append(name).Append('\n');
        data.Append("data: ").Append(JsonSerializer.Serialize(value, MonitoringJson.Options)).Append("\n\n");
        return data.ToString();
    }

    /// <summary>Hands each value to a stream's buffer; the end of the source ends the stream.</summary>
    private sealed class Forward<T>(ChannelWriter<string> writer, Func<T, string> format) : IObserver<T>
    {
        public void OnCompleted() => writer.TryComplete();

        public void OnError(Exception error) => writer.TryComplete();

        public void OnNext(T value) => writer.TryWrite(format(value));
    }
}
