using System.CommandLine;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OtlpFlow.Cli.Commands;
using OtlpFlow.Hosting.Monitoring;

namespace OtlpFlow.Cli.Top;

/// <summary>
/// <c>otlpflow top &lt;address&gt;</c>: the dashboard's live view in the terminal. Reads the event
/// stream of a pipeline run with <c>--dashboard</c> and redraws a table of its operators on every
/// sample, until the run ends, <c>--duration</c> passes or Ctrl+C. <c>--once</c> prints the latest
/// sample and exits (for scripts).
/// </summary>
internal static class TopCommand
{
    // Clear the screen and go home: a full redraw per sample, as `top` does.
    private const string ClearScreen = "\u001b[H\u001b[2J";

    /// <summary>The command's syntax.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var address = new Argument<string>("address") { Description = "The dashboard's address, as printed by `otlpflow run --dashboard` (like 127.0.0.1:8080)." };
        var once = new Option<bool>("--once") { Description = "Print the latest sample once and exit." };
        var duration = new Option<TimeSpan?>("--duration", "-d")
        {
            Description = "Stop watching after this long (like \"10s\"). Without it, watch until the run ends or Ctrl+C.",
            HelpName = "duration",
            CustomParser = CliDurations.Parse,
        };
        var command = new Command("top", "Watch a running pipeline's operators live in the terminal (needs `otlpflow run --dashboard`).")
        {
            address,
            once,
            duration,
        };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(parse.GetValue(address)!, parse.GetValue(once), parse.GetValue(duration), environment, cancellationToken));
        return command;
    }

    /// <summary>Watches the dashboard at <paramref name="address"/>; returns 0, or 1 when it cannot be reached.</summary>
    public static async Task<int> ExecuteAsync(string address, bool once, TimeSpan? duration, CliEnvironment environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!TryBaseAddress(address, out var baseAddress))
        {
            await environment.Error.WriteLineAsync($"error: '{address}' is not a dashboard address: use host:port or http://host:port/").ConfigureAwait(false);
            return ExitCodes.Failed;
        }

        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        using var durationCts = duration is { } d ? new CancellationTokenSource(d, environment.TimeProvider) : new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, durationCts.Token);
        try
        {
            if (once)
            {
                using var request = new CancellationTokenSource(TimeSpan.FromSeconds(10), environment.TimeProvider);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, request.Token);
                var snapshot = await http.GetFromJsonAsync<PipelineSnapshot>("api/snapshot", MonitoringJson.Options, linked.Token).ConfigureAwait(false);
                Draw(environment, snapshot!, redraw: false);
                return ExitCodes.Success;
            }

            return await WatchAsync(http, environment, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or OperationCanceledException or IOException)
        {
            await environment.Error.WriteLineAsync($"error: cannot read the dashboard at {baseAddress}: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }
    }

    private static async Task<int> WatchAsync(HttpClient http, CliEnvironment environment, CancellationToken stopToken)
    {
        using var response = await http.GetAsync("api/events", HttpCompletionOption.ResponseHeadersRead, stopToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var stream = await response.Content.ReadAsStreamAsync(stopToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);
            string? eventName = null;
            var data = new StringBuilder();
            PipelineSnapshot? last = null;
            while (await reader.ReadLineAsync(stopToken).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0)
                {
                    // A blank line ends one event.
                    if (eventName == "snapshot" && data.Length > 0)
                    {
                        last = JsonSerializer.Deserialize<PipelineSnapshot>(data.ToString(), MonitoringJson.Options);
                        Draw(environment, last!, redraw: environment.IsTerminal);
                    }

                    eventName = null;
                    data.Clear();
                }
                else if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    eventName = line[6..].Trim();
                }
                else if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    data.Append(line[5..].TrimStart());
                }
            }

            // The stream ended: the run is over.
            await environment.Out.WriteLineAsync(last is null ? "the dashboard closed before sending a sample" : $"pipeline '{last.Pipeline}' has finished").ConfigureAwait(false);
            return ExitCodes.Success;
        }
    }

    private static void Draw(CliEnvironment environment, PipelineSnapshot snapshot, bool redraw)
    {
        var output = environment.Out;
        var text = new StringBuilder();
        if (redraw)
        {
            text.Append(ClearScreen);
        }

        foreach (var line in TopTable.Lines(snapshot))
        {
            text.Append(line).Append(Environment.NewLine);
        }

        if (!redraw)
        {
            // Off a terminal (a log, a test) each sample is a block of its own.
            text.Append(Environment.NewLine);
        }

        output.Write(text.ToString());
        output.Flush();
    }

    private static bool TryBaseAddress(string text, out Uri address)
    {
        text = text.Trim();
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "http://" + text;
        }

        if (Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp)
        {
            address = uri;
            return true;
        }

        address = null!;
        return false;
    }
}
