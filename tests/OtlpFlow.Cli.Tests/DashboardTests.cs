using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OtlpFlow.Engine.Testing;
using Xunit.Abstractions;

namespace OtlpFlow.Cli.Tests;

public sealed class DashboardTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly DashboardRun _run = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _run.DisposeAsync();

    [ChromiumFact]
    public async Task In_headless_chromium_the_page_draws_every_operator_and_fills_live_numbers_from_the_event_stream()
    {
        var executable = HeadlessChromium.Executable;
        Assert.True(executable is not null, "chromium is required (OTLPFLOW_REQUIRE_SERVICES=1) but is not installed");
        await _run.StartAsync();

        await using var browser = await HeadlessChromium.StartAsync(executable);
        await browser.NavigateAsync(_run.Address);

        // The page's own script fills these from server-sent events: wait until several samples
        // have arrived and the sink's rate is above zero.
        const string State = """
            JSON.stringify({
              updates: Number(document.getElementById('sse-count')?.textContent ?? 0),
              nodes: [...document.querySelectorAll('#graph-svg g.node')].map(g => g.dataset.operator),
              rows: [...document.querySelectorAll('#operators tbody tr')].map(r => r.dataset.operator),
              genRate: Number(document.querySelector('#operators tr[data-operator="gen"] .out-rate')?.dataset.value ?? 0),
              sinkRate: Number(document.querySelector('#operators tr[data-operator="sink"] .in-rate')?.dataset.value ?? 0),
              nodeText: document.querySelector('#graph-svg g.node[data-operator="sink"] .rate')?.textContent ?? '',
              state: document.getElementById('pipeline-state')?.textContent,
              name: document.getElementById('pipeline-name')?.textContent,
              edges: document.querySelectorAll('#graph-svg path.edge').length
            })
            """;
        JsonElement page = default;
        await Poll.UntilAsync(
            async () =>
            {
                page = JsonDocument.Parse((await browser.EvaluateAsync(State)).GetString()!).RootElement;
                return page.GetProperty("updates").GetInt32() >= 3 && page.GetProperty("sinkRate").GetDouble() > 0;
            },
            "the page to show live numbers",
            TimeSpan.FromSeconds(60));

        var screenshot = Path.Combine(AppContext.BaseDirectory, "TestResults", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await File.WriteAllBytesAsync(screenshot, await browser.ScreenshotAsync());
        output.WriteLine($"screenshot: {screenshot}");

        Assert.Equal("live", page.GetProperty("name").GetString());
        Assert.Equal("running", page.GetProperty("state").GetString());
        Assert.Equal(["gen", "pass", "sink"], page.GetProperty("nodes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["gen", "pass", "sink"], page.GetProperty("rows").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(2, page.GetProperty("edges").GetInt32());
        Assert.True(page.GetProperty("genRate").GetDouble() > 0);
        Assert.EndsWith("items/s", page.GetProperty("nodeText").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("- items/s", page.GetProperty("nodeText").GetString(), StringComparison.Ordinal);
        Assert.True(new FileInfo(screenshot).Length > 1000);

        Assert.Equal(0, await _run.StopAsync());
    }

    [Fact]
    public async Task The_json_endpoints_give_the_graph_in_layers_and_a_snapshot_with_rates_and_queues()
    {
        await _run.StartAsync();
        using var http = new HttpClient { BaseAddress = _run.Address };

        var topology = await http.GetFromJsonAsync<JsonElement>("api/topology");
        Assert.Equal(
            ["gen:0:source", "pass:1:processor", "sink:2:sink"],
            topology.GetProperty("nodes").EnumerateArray().Select(n => $"{n.GetProperty("id")}:{n.GetProperty("layer")}:{n.GetProperty("kind")}"));
        Assert.Equal(
            ["gen->pass", "pass->sink"],
            topology.GetProperty("edges").EnumerateArray().Select(e => $"{e.GetProperty("from")}->{e.GetProperty("to")}"));

        JsonElement snapshot = default;
        await Poll.UntilAsync(async () =>
        {
            snapshot = await http.GetFromJsonAsync<JsonElement>("api/snapshot");
            return Operator(snapshot, "sink").GetProperty("itemsInPerSecond").GetDouble() > 0;
        }, "the sink's live rate to rise above zero");
        var sink = Operator(snapshot, "sink");
        Assert.Equal("live", snapshot.GetProperty("pipeline").GetString());
        Assert.Equal(64, sink.GetProperty("queueCapacity").GetInt32());
        Assert.InRange(sink.GetProperty("queueFill").GetDouble(), 0, 1);
        Assert.Equal(0, Operator(snapshot, "gen").GetProperty("queueCapacity").GetInt32());
        Assert.True(Operator(snapshot, "gen").GetProperty("itemsOut").GetInt64() > 0);
    }

    [Fact]
    public async Task The_event_stream_starts_with_the_topology_then_sends_snapshots()
    {
        await _run.StartAsync();
        using var http = new HttpClient { BaseAddress = _run.Address };
        using var response = await http.GetAsync("api/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string>();
        while (events.Count(e => e == "snapshot") < 3 && await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                events.Add(line["event: ".Length..]);
            }
        }

        Assert.Equal("topology", events[0]);
        Assert.Equal("snapshot", events[1]);
    }

    [Fact]
    public async Task The_page_is_self_contained_and_other_paths_are_not_found()
    {
        await _run.StartAsync();
        using var http = new HttpClient { BaseAddress = _run.Address };

        var page = await http.GetStringAsync("/");
        Assert.Contains("<svg", page, StringComparison.Ordinal);
        Assert.Contains("new EventSource(\"api/events\")", page, StringComparison.Ordinal);

        // No scripts, styles or fonts from elsewhere: the machine may have no internet.
        Assert.DoesNotContain("<script src", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", page, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("nothing-here")).StatusCode);
    }

    [Fact]
    public async Task A_dashboard_address_that_is_not_loopback_is_refused_before_anything_runs()
    {
        using var cli = new TestCli();
        var path = cli.Write(DashboardRun.Pipeline);

        var exit = await cli.RunAsync("run", path, "--dashboard", "0.0.0.0:8080");

        Assert.Equal(1, exit);
        Assert.Contains("not a loopback address", cli.Error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("pipeline 'live'", cli.Out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dashboard_address_already_in_use_stops_the_run_with_exit_1()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var cli = new TestCli(registry: DashboardRun.Registry);
        var path = cli.Write(DashboardRun.Pipeline);

        var exit = await cli.RunAsync("run", path, "--dashboard", $"127.0.0.1:{port}");

        Assert.Equal(1, exit);
        Assert.StartsWith($"error: cannot serve the dashboard on 127.0.0.1:{port}: ", cli.ErrorLines[0], StringComparison.Ordinal);
        Assert.Matches(@"^pipeline 'live' stopped after \d+\.\ds \(interrupted\), drained$", cli.OutLines[^1]);
    }

    private static JsonElement Operator(JsonElement snapshot, string id) =>
        snapshot.GetProperty("operators").EnumerateArray().Single(o => o.GetProperty("id").GetString() == id);
}
