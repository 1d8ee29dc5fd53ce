using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Hosting;

/// <summary>
/// Exports the engine's <c>OtlpFlow</c> meter as a pipeline's <c>"telemetry"</c> section says: over
/// OTLP with the OpenTelemetry SDK, and on a Prometheus scrape endpoint served by its own small
/// Kestrel server. Lives for one pipeline run; the engine itself knows nothing of the SDK.
/// </summary>
internal sealed partial class SelfTelemetry : IAsyncDisposable
{
    /// <summary>The engine's meter (see docs/architecture.md, "Observability of the engine").</summary>
    public const string MeterName = "OtlpFlow";

    private readonly MeterProvider _provider;
    private readonly WebApplication? _server;

    private SelfTelemetry(MeterProvider provider, WebApplication? server, Uri? prometheusEndpoint)
    {
        _provider = provider;
        _server = server;
        PrometheusEndpoint = prometheusEndpoint;
    }

    /// <summary>The scrape URL, when Prometheus is configured.</summary>
    public Uri? PrometheusEndpoint { get; }

    /// <summary>Starts exporting <paramref name="meter"/> (a running pipeline's); the Prometheus server (if any) is listening when this returns.</summary>
    /// <exception cref="PipelineValidationException">The Prometheus address is not valid or cannot be listened on.</exception>
    public static async Task<SelfTelemetry> StartAsync(PipelineSpec spec, Meter meter, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var options = spec.Telemetry ?? throw new ArgumentException("the pipeline has no telemetry section", nameof(spec));
        System.Net.IPEndPoint? endpoint = null;
        if (options.Prometheus is { } listen && !ListenAddress.TryParse(listen.Address, out endpoint))
        {
            throw new PipelineValidationException([spec.Error(null, "$.telemetry.prometheus.address", $"'telemetry.prometheus.address' must be host:port such as \"127.0.0.1:9464\", got \"{listen.Address}\"")]);
        }

        var builder = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateDefault()
                .AddService("otlpflow", serviceInstanceId: Environment.MachineName + "/" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
                .AddAttributes([new("otlpflow.pipeline", spec.Name)]))
            .AddMeter(MeterName)

            // Every pipeline of the process has a meter of this name, and the SDK merges instruments
            // of the same name across meters: when one pipeline stops, its disposed instruments would
            // end the merged stream for the others. Only this pipeline's own instruments are taken.
            .AddView(instrument => ReferenceEquals(instrument.Meter, meter) ? null : MetricStreamConfiguration.Drop);

        if (options.Otlp is { } otlp)
        {
            builder.AddOtlpExporter((exporter, reader) =>
            {
                exporter.Endpoint = new Uri(otlp.Endpoint);
                exporter.Protocol = otlp.Protocol == TelemetryProtocol.Grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                if (otlp.Headers.Count > 0)
                {
                    exporter.Headers = string.Join(',', otlp.Headers.Select(h => $"{h.Key}={h.Value}"));
                }

                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)Math.Max(1, otlp.Interval.TotalMilliseconds);
            });
        }

        if (options.Prometheus is not null)
        {
            builder.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
        }

        var provider = builder.Build();
        if (options.Prometheus is not { } prometheus)
        {
            return new SelfTelemetry(provider, null, null);
        }

        var app = CreateServer(provider, endpoint!, prometheus.Path);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            provider.Dispose();
            if (ex is IOException)
            {
                // Kestrel reports an address in use (or not available on this machine) as an IOException.
                throw new PipelineValidationException([spec.Error(null, "$.telemetry.prometheus.address", $"'telemetry.prometheus.address' cannot be listened on: {ex.Message}")]);
            }

            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(new Uri(address), prometheus.Path);
        LogPrometheus(loggerFactory.CreateLogger("OtlpFlow.Hosting.SelfTelemetry"), spec.Name, uri);
        return new SelfTelemetry(provider, app, uri);
    }

    /// <summary>Exports what has not been exported yet, such as the final counters after a drain.</summary>
    public void Flush() => _provider.ForceFlush(timeoutMilliseconds: 5000);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _server.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // A scraper still connected is cut off by DisposeAsync.
            }

            await _server.DisposeAsync().ConfigureAwait(false);
        }

        _provider.Dispose();
    }

    private static WebApplication CreateServer(MeterProvider provider, System.Net.IPEndPoint endpoint, string path)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(endpoint);
        });
        var app = builder.Build();
        app.UseOpenTelemetryPrometheusScrapingEndpoint(provider, predicate: null, path: path, configureBranchedPipeline: null, optionsName: null);
        return app;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "pipeline '{Pipeline}': Prometheus metrics at {Endpoint}")]
    private static partial void LogPrometheus(ILogger logger, string pipeline, Uri endpoint);
}
