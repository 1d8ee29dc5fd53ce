using OtlpFlow.Engine.Testing;
using System.Net;
using System.Net.Sockets;

namespace OtlpFlow.Cli.Tests;

public sealed class TopCommandTests : IAsyncLifetime
{
    private readonly DashboardRun _run = new();
    private readonly TestCli _top = new();

    public Task InitializeAsync() => _run.StartAsync();

    public async Task DisposeAsync()
    {
        _top.Dispose();
        await _run.DisposeAsync();
    }

    [Fact]
    public async Task Top_once_prints_the_pipeline_and_a_row_per_operator()
    {
        // Wait for a sample with rates, so that the row shows the flow.
        await Poll.UntilAsync(() => _run.ErrorText.Length > 0, "the run to start");

        var exit = await _top.RunAsync("top", $"{_run.Address.Host}:{_run.Address.Port}", "--once");

        Assert.Equal(0, exit);
        var lines = _top.OutLines;
        Assert.StartsWith("pipeline 'live'  running", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^operator\s+type\s+kind\s+in/s\s+out/s\s+queue\s+dropped\s+errors\s+latency\s+in\s+out$", lines[1]);
        Assert.Matches(@"^gen\s+generate\s+source\s+-\s+\S+\s+-\s+0\s+0\s+-\s+-\s+\d+$", lines[2]);
        Assert.Matches(@"^pass\s+test\.pass\s+processor\s+\S+\s+\S+\s+\d+/64\s+0\s+0\s+\S+\s+\d+\s+\d+$", lines[3]);
        Assert.StartsWith("sink ", lines[4], StringComparison.Ordinal);
        Assert.Empty(_top.ErrorLines);
    }

    [Fact]
    public async Task Top_follows_the_event_stream_and_redraws_for_each_sample_until_its_duration()
    {
        // Samples come every 250 ms: in 3 s there are many, even on a busy machine.
        var exit = await _top.RunAsync("top", _run.Address.ToString(), "--duration", "3s");

        Assert.Equal(0, exit);
        var tables = _top.OutLines.Count(l => l.StartsWith("pipeline 'live'", StringComparison.Ordinal));
        Assert.True(tables >= 2, $"expected a table per sample, got {tables}:\n{_top.Out}");
        Assert.Contains(_top.OutLines, l => l.StartsWith("sink ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Top_ends_when_the_run_ends()
    {
        var watching = _top.RunAsync("top", _run.Address.ToString());
        await Poll.UntilAsync(() => _top.Out.ToString().Contains("pipeline 'live'", StringComparison.Ordinal), "a first table");

        Assert.Equal(0, await _run.StopAsync());

        Assert.Equal(0, await watching);
        Assert.Equal("pipeline 'live' has finished", _top.OutLines[^1]);

        // The last table drawn is the final sample, taken once the run had stopped.
        var lastTable = _top.OutLines.Last(l => l.StartsWith("pipeline 'live'  ", StringComparison.Ordinal));
        Assert.StartsWith("pipeline 'live'  stopped", lastTable, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Top_against_an_address_with_no_dashboard_exits_1_saying_so()
    {
        // A port that was free a moment ago: nothing listens there.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var exit = await _top.RunAsync("top", $"127.0.0.1:{port}", "--once");

        Assert.Equal(1, exit);
        Assert.StartsWith($"error: cannot read the dashboard at http://127.0.0.1:{port}/", _top.ErrorLines[0], StringComparison.Ordinal);
    }
}
