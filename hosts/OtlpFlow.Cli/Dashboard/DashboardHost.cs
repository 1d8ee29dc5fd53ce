using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Hosting;
using OtlpFlow.Hosting.Monitoring;

namespace OtlpFlow.Cli.Dashboard;

/// <summary>
/// The dashboard's part in <c>otlpflow run --dashboard</c>: monitors the running pipeline and serves
/// the page for as long as the run lasts. A dashboard that cannot start stops the run (exit 1),
/// since the user asked to watch it.
/// </summary>
internal sealed class DashboardHost(IPEndPoint endpoint, PipelineSpec spec, CliEnvironment environment, CancellationTokenSource stopRun)
{
    /// <summary>True when the dashboard could not be served; the run was then stopped.</summary>
    public bool Failed { get; private set; }

    /// <summary>The <c>--dashboard</c> option: a loopback <c>host:port</c>.</summary>
    public static Option<IPEndPoint?> CreateOption() => new("--dashboard")
    {
        Description = "Serve a live dashboard (graph, items/s, queues, drops, latency) on this loopback address, like 127.0.0.1:8080 (port 0 picks a free port).",
        HelpName = "host:port",
        CustomParser = ParseLoopback,
    };

    /// <summary>Parses a loopback <c>host:port</c>; anything else is a command-line error.</summary>
    public static IPEndPoint? ParseLoopback(ArgumentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (!ListenAddress.TryParse(text, out var endpoint))
        {
            result.AddError($"'{text}' is not an address: use host:port, like 127.0.0.1:8080");
            return null;
        }

        if (!IPAddress.IsLoopback(endpoint.Address))
        {
            // The dashboard has no authentication: it is for the machine it runs on.
            result.AddError($"'{text}' is not a loopback address: the dashboard serves only 127.0.0.1, [::1] or localhost");
            return null;
        }

        return endpoint;
    }

    /// <summary>Monitors and serves until <paramref name="stopToken"/> is cancelled (the run is over).</summary>
    public async Task RunAsync(RunningPipeline pipeline, CancellationToken stopToken)
    {
        using var monitor = new PipelineMonitor(pipeline, spec, environment.TimeProvider);
        DashboardServer server;
        try
        {
            server = await DashboardServer.StartAsync(endpoint, monitor, stopToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            // Kestrel reports an address in use (or not available) as an IOException.
            Failed = true;
            await environment.Error.WriteLineAsync($"error: cannot serve the dashboard on {endpoint}: {ex.Message}").ConfigureAwait(false);
            await stopRun.CancelAsync().ConfigureAwait(false);
            return;
        }

        await using (server.ConfigureAwait(false))
        {
            await environment.Error.WriteLineAsync($"dashboard: {server.Address}").ConfigureAwait(false);
            await environment.Error.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            await monitor.RunAsync(environment.MonitorInterval, stopToken).ConfigureAwait(false);

            // Ending the snapshots ends each event stream once it has sent what it holds (the final
            // sample, with the run's last counters); then the server stops.
            monitor.Dispose();
        }
    }
}
