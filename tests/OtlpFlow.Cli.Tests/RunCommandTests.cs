using System.Text.RegularExpressions;
using OtlpFlow.Cli.Tests.TestOperators;

namespace OtlpFlow.Cli.Tests;

public sealed class RunCommandTests : IDisposable
{
    private readonly RunProbe _probe = new();
    private readonly TestCli _cli;

    public RunCommandTests() => _cli = new TestCli(services: _probe);

    public void Dispose() => _cli.Dispose();

    private string Pipeline(string source, string sink) => _cli.Write($$"""
        {
          "name": "demo",
          "operators": {
            "src": {{source}},
            "sink": {{sink}}
          }
        }
        """);

    [Fact]
    public async Task A_pipeline_whose_sources_finish_exits_0_and_prints_a_summary_of_every_operator()
    {
        var path = _cli.Write("""
            {
              "name": "demo",
              "operators": {
                "src": { "type": "test.spans", "batches": 3, "spansPerBatch": 2 },
                "drop": { "type": "test.drop", "inputs": ["src"] },
                "sink": { "type": "test.null", "inputs": ["drop.dropped"] }
              }
            }
            """);

        var exit = await _cli.RunAsync("run", path);

        Assert.Equal(0, exit);
        var lines = _cli.OutLines;
        Assert.Equal(
            [
                "operator  type        kind       in  out  dropped  errors  drop reasons",
                "src       test.spans  source      -    6        0       0",
                "drop      test.drop   processor   6    0        6       0  filtered 6",
                "sink      test.null   sink        6    6        0       0",
            ],
            lines.Take(4));
        Assert.Matches(@"^pipeline 'demo' completed in \d+\.\ds$", lines[^1]);
        Assert.Empty(_cli.ErrorLines);
    }

    [Fact]
    public async Task An_operator_that_makes_items_without_counting_them_is_flagged_after_the_summary()
    {
        using var cli = new TestCli(registry: () => TestCli.Registry().AddOperator<Doubler>("test.double"));
        var path = cli.Write("""
            {
              "name": "demo",
              "operators": {
                "src": { "type": "test.spans", "batches": 3, "spansPerBatch": 2 },
                "twice": { "type": "test.double", "inputs": ["src"] },
                "sink": { "type": "test.null", "inputs": ["twice"] }
              }
            }
            """);

        var exit = await cli.RunAsync("run", path);

        Assert.Equal(0, exit);
        Assert.Equal(
            ["warning: operator 'twice' does not balance: in 6 + returned 0 + created 0 != out 12 + dropped 0 (+6 items unaccounted)"],
            cli.ErrorLines);
    }

    [Fact]
    public async Task A_faulting_operator_exits_1_naming_it_after_the_summary()
    {
        var path = Pipeline("""{ "type": "test.spans" }""", """{ "type": "test.fail", "inputs": ["src"] }""");

        var exit = await _cli.RunAsync("run", path);

        Assert.Equal(1, exit);
        Assert.Equal(["error: operator 'sink' failed: disk full"], _cli.ErrorLines);
        Assert.Contains(_cli.OutLines, l => l.StartsWith("operator ", StringComparison.Ordinal));
        Assert.Matches(@"^pipeline 'demo' failed after \d+\.\ds$", _cli.OutLines[^1]);
    }

    [Fact]
    public async Task Duration_stops_an_endless_source_and_drains_then_exits_0()
    {
        var path = Pipeline("""{ "type": "test.spans", "endless": true }""", """{ "type": "test.null", "inputs": ["src"] }""");

        var exit = await _cli.RunAsync("run", path, "--duration", "200ms");

        Assert.Equal(0, exit);
        Assert.Matches(@"^pipeline 'demo' stopped after \d+\.\ds \(--duration reached\), drained$", _cli.OutLines[^1]);
        var counts = Counts(_cli.OutLines);
        Assert.True(counts["src"].Out > 0);
        Assert.Equal(counts["src"].Out, counts["sink"].Out);
    }

    [Fact]
    public async Task Cancellation_like_ctrl_c_stops_the_run_gracefully_and_exits_0()
    {
        var path = Pipeline("""{ "type": "test.spans", "endless": true }""", """{ "type": "test.null", "inputs": ["src"] }""");
        using var interrupt = new CancellationTokenSource();

        var run = _cli.RunAsync(interrupt.Token, "run", path);
        await _probe.FirstBatchSent.Task;
        await interrupt.CancelAsync();
        var exit = await run;

        Assert.Equal(0, exit);
        Assert.Matches(@"^pipeline 'demo' stopped after \d+\.\ds \(interrupted\), drained$", _cli.OutLines[^1]);
        var counts = Counts(_cli.OutLines);
        Assert.Equal(counts["src"].Out, counts["sink"].Out);
    }

    [Fact]
    public async Task An_invalid_file_exits_2_with_the_errors_as_validate_prints_them()
    {
        var path = Pipeline("""{ "type": "test.spans" }""", """{ "type": "test.null", "inputs": ["nowhere"] }""");

        var exit = await _cli.RunAsync("run", path);

        Assert.Equal(2, exit);
        Assert.Empty(_cli.OutLines);
        Assert.Matches("^" + Regex.Escape(path) + @":5:\d+: operator 'sink': input 'nowhere' names no operator", Assert.Single(_cli.ErrorLines));
    }

    [Fact]
    public async Task An_option_of_the_wrong_type_makes_the_run_exit_2()
    {
        var path = Pipeline("""{ "type": "test.spans", "batches": "many" }""", """{ "type": "test.null", "inputs": ["src"] }""");

        var exit = await _cli.RunAsync("run", path);

        Assert.Equal(2, exit);
        Assert.Contains("operator 'src': 'batches'", Assert.Single(_cli.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_duration_that_is_not_one_is_refused_before_running()
    {
        var path = Pipeline("""{ "type": "test.spans" }""", """{ "type": "test.null", "inputs": ["src"] }""");

        var exit = await _cli.RunAsync("run", path, "--duration", "soon");

        Assert.NotEqual(0, exit);
        Assert.Contains("'soon' is not a duration", _cli.Error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("pipeline 'demo'", _cli.Out.ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Reads the summary table's in and out columns by operator id. Progress lines (one a second
    /// when the output is not a terminal) may come before the table's header on a slow run.
    /// </summary>
    private static Dictionary<string, (string In, long Out)> Counts(string[] lines) =>
        lines.SkipWhile(l => !l.StartsWith("operator ", StringComparison.Ordinal))
            .Skip(1)
            .TakeWhile(l => l.Length > 0 && !l.StartsWith("pipeline ", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(c => c[0], c => (c[3], long.Parse(c[4], System.Globalization.CultureInfo.InvariantCulture)));
}
