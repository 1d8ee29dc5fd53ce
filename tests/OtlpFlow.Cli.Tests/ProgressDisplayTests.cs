using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Cli.Output;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Cli.Tests;

public sealed class ProgressDisplayTests
{
    private const string Json = """
        {
          "operators": {
            "gen": { "type": "test.spans" },
            "batch": { "type": "test.pass", "inputs": ["gen"] },
            "dbg": { "type": "test.null", "inputs": ["batch"] }
          }
        }
        """;

    private static RunningPipeline Build() => new PipelineBuilder(TestCli.Registry()).Build(PipelineLoader.Parse(Json));

    [Fact]
    public async Task Without_a_terminal_each_interval_prints_a_plain_line_of_every_operator()
    {
        var time = new FakeTimeProvider();
        using var cli = new TestCli(isTerminal: false, time: time);
        await using var pipeline = Build();
        using var stop = new CancellationTokenSource();

        // The display's timer exists once RunAsync returns its task, so advancing the clock ticks it.
        var display = new ProgressDisplay(cli.Environment).RunAsync(pipeline, stop.Token);
        time.Advance(TimeSpan.FromSeconds(1));
        await stop.CancelAsync();
        await display;

        Assert.Equal(["[1.0s] gen: out 0 | batch: in 0 out 0 | dbg: in 0 delivered 0"], cli.OutLines);
    }

    [Fact]
    public async Task On_a_terminal_the_line_is_redrawn_in_place_and_erased_at_the_end()
    {
        var time = new FakeTimeProvider();
        using var cli = new TestCli(isTerminal: true, time: time);
        await using var pipeline = Build();
        using var stop = new CancellationTokenSource();

        var display = new ProgressDisplay(cli.Environment).RunAsync(pipeline, stop.Token);
        time.Advance(TimeSpan.FromSeconds(1));
        await stop.CancelAsync();
        await display;

        const string line = "[1.0s] gen: out 0 | batch: in 0 out 0 | dbg: in 0 delivered 0";
        Assert.Equal("\r" + line + "\r" + new string(' ', line.Length) + "\r", cli.Out.ToString());
    }

    [Fact]
    public async Task On_a_narrow_terminal_the_live_line_is_cut_to_fit()
    {
        var time = new FakeTimeProvider();
        using var cli = new TestCli(isTerminal: true, time: time, terminalWidth: 31);
        await using var pipeline = Build();
        using var stop = new CancellationTokenSource();

        var display = new ProgressDisplay(cli.Environment).RunAsync(pipeline, stop.Token);
        time.Advance(TimeSpan.FromSeconds(1));
        await stop.CancelAsync();
        await display;

        var drawn = cli.Out.ToString().Split('\r')[1];
        Assert.Equal("[1.0s] gen: out 0 | batch: ...", drawn);
        Assert.Equal(30, drawn.Length);
    }
}
