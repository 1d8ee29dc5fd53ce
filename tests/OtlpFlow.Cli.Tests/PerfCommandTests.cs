using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using OtlpFlow.Cli.Perf;
using OtlpFlow.Hosting;

namespace OtlpFlow.Cli.Tests;

public sealed class PerfCommandTests : IDisposable
{
    private readonly TestCli _cli = new(registry: () => new OtlpFlowBuilder().BuildRegistry());
    private readonly string _folder = Directory.CreateTempSubdirectory("otlpflow-perf-tests-").FullName;

    public void Dispose()
    {
        _cli.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Perf_of_the_passthrough_graph_prints_the_report_and_writes_the_json_result()
    {
        var json = Path.Combine(_folder, "r.json");

        var exit = await _cli.RunAsync("perf", Path.Combine(RepositoryRoot(), "perf", "graphs", "passthrough.json"), "--duration", "2s", "--json", json);

        Assert.True(exit == 0, $"exit {exit}\n{_cli.Out}\n{_cli.Error}");
        using var result = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var root = result.RootElement;
        Assert.Equal("passthrough", root.GetProperty("pipeline").GetString());
        Assert.True(root.GetProperty("itemsPerSecond").GetDouble() > 0);
        Assert.True(root.GetProperty("megabytesPerSecond").GetDouble() > 0);
        var latency = root.GetProperty("latencyMs");
        var p50 = latency.GetProperty("p50").GetDouble();
        var p99 = latency.GetProperty("p99").GetDouble();
        var p999 = latency.GetProperty("p999").GetDouble();
        Assert.True(latency.GetProperty("samples").GetInt64() > 0);
        Assert.True(p50 > 0 && p50 <= p99 && p99 <= p999, $"p50 {p50}, p99 {p99}, p999 {p999}");
        Assert.Equal(0, root.GetProperty("dropped").GetInt64());
        Assert.Empty(root.GetProperty("unbalanced").EnumerateArray());
        Assert.True(root.GetProperty("peakMemoryBytes").GetInt64() > 0);
        Assert.True(root.GetProperty("gc").GetProperty("allocatedBytes").GetInt64() > 0);
        Assert.InRange(root.GetProperty("gcPauseRatio").GetDouble(), 0, 1);
        Assert.False(root.TryGetProperty("memoryLimitBytes", out _), "passthrough has no memoryLimit");
        Assert.Equal(["gen", "batch", "out"], root.GetProperty("operators").EnumerateArray().Select(o => o.GetProperty("id").GetString()));
        Assert.True(root.GetProperty("passed").GetBoolean());
        Assert.All(root.GetProperty("expectations").EnumerateArray(), e => Assert.True(e.GetProperty("met").GetBoolean()));

        var report = _cli.Out.ToString();
        Assert.Contains("perf 'passthrough': measured ", report, StringComparison.Ordinal);
        Assert.Matches(@"latency\s+p50 \S+ms\s+p90 \S+ms\s+p99 \S+ms\s+p99\.9 \S+ms", report);
        Assert.Matches(@"paused \d+ms \(\d+\.\d% of the window\)", report);
        Assert.Contains("perf: passed", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expectation_the_run_does_not_meet_exits_3_and_names_it()
    {
        var graph = Graph("""
            "expect": { "minItemsPerSecond": 1e15, "maxDropRatio": 0 }
            """);

        var exit = await _cli.RunAsync("perf", graph, "--duration", "500ms", "--warmup", "0s");

        Assert.Equal(PerfCommand.ExpectationsFailed, exit);
        var report = _cli.Out.ToString();
        Assert.Matches(@"FAIL\s+minItemsPerSecond >= 1000000000000000: measured ", report);
        Assert.Matches(@"ok\s+maxDropRatio <= 0: measured 0", report);
        Assert.Contains("perf: FAILED", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_peak_working_set_over_max_peak_working_set_exits_3_and_the_limits_are_reported()
    {
        var json = Path.Combine(_folder, "memory.json");
        var graph = Graph("""
            "memoryLimit": "64MiB",
            "expect": { "maxPeakWorkingSet": "1MiB", "maxGcPauseRatio": 1 }
            """);

        var exit = await _cli.RunAsync("perf", graph, "--duration", "500ms", "--warmup", "0s", "--json", json);

        // No process runs .NET in 1 MiB, and the GC cannot pause more than the whole window.
        Assert.Equal(PerfCommand.ExpectationsFailed, exit);
        var report = _cli.Out.ToString();
        Assert.Matches(@"FAIL\s+maxPeakWorkingSet <= 1\.0MiB: measured \d+\.\dMiB", report);
        Assert.Matches(@"ok\s+maxGcPauseRatio <= 1: measured ", report);
        Assert.Matches(@"peak working set \S+ of memoryLimit 64\.0MiB \(\d+\.\d\dx\)  peak in flight \S+  forced gcs \d+  refused \d+", report);
        using var result = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var root = result.RootElement;
        Assert.Equal(64L * 1024 * 1024, root.GetProperty("memoryLimitBytes").GetInt64());
        var checks = root.GetProperty("expectations").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        Assert.False(checks["maxPeakWorkingSet"].GetProperty("met").GetBoolean());
        Assert.Equal(root.GetProperty("peakMemoryBytes").GetInt64(), checks["maxPeakWorkingSet"].GetProperty("actual").GetDouble());
        Assert.True(checks["maxGcPauseRatio"].GetProperty("met").GetBoolean());
        Assert.False(root.GetProperty("passed").GetBoolean());
    }

    [Fact]
    public async Task Memory_expectations_that_are_not_a_size_or_a_ratio_are_refused_with_exit_2()
    {
        var graph = Graph("""
            "expect": { "maxPeakWorkingSet": "lots", "maxGcPauseRatio": 1.5 }
            """);

        var exit = await _cli.RunAsync("perf", graph, "--duration", "1s");

        Assert.Equal(2, exit);
        Assert.Contains(_cli.ErrorLines, e => e.Contains("'expect.maxPeakWorkingSet' must be a size such as \"400MiB\", got \"lots\"", StringComparison.Ordinal));
        Assert.Contains(_cli.ErrorLines, e => e.Contains("'expect.maxGcPauseRatio' must be a number from 0 to 1, got 1.5", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_operator_that_makes_items_without_counting_them_is_flagged_in_the_report_and_the_json()
    {
        using var cli = new TestCli(registry: () => new OtlpFlowBuilder().AddOperator<TestOperators.Doubler>("test.double").BuildRegistry());
        var graph = Graph(
            """
            "expect": { }
            """,
            """
            "gen":   { "type": "generate", "batchSize": 100 },
            "twice": { "type": "test.double", "inputs": ["gen"] },
            "out":   { "type": "perf.discard", "inputs": ["twice"] }
            """);
        var json = Path.Combine(_folder, "unbalanced.json");

        var exit = await cli.RunAsync("perf", graph, "--duration", "500ms", "--warmup", "0s", "--json", json);

        Assert.True(exit == 0, $"exit {exit}\n{cli.Out}\n{cli.Error}");
        using var result = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var flagged = Assert.Single(result.RootElement.GetProperty("unbalanced").EnumerateArray()).GetString();
        Assert.StartsWith("warning: operator 'twice' does not balance", flagged, StringComparison.Ordinal);
        Assert.Contains(flagged!, cli.Out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drops_count_against_max_drop_ratio_and_are_reported_by_reason()
    {
        var graph = Graph(
            """
            "expect": { "maxDropRatio": 0.5 }
            """,
            """
            "gen":  { "type": "generate", "batchSize": 100 },
            "none": { "type": "filter", "inputs": ["gen"], "drop": { "all": "name != \"-\"" } },
            "out":  { "type": "perf.discard", "inputs": ["none"] }
            """);

        var exit = await _cli.RunAsync("perf", graph, "--duration", "500ms", "--warmup", "0s", "--json", Path.Combine(_folder, "drops.json"));

        Assert.Equal(PerfCommand.ExpectationsFailed, exit);
        using var result = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_folder, "drops.json")));
        var root = result.RootElement;
        Assert.True(root.GetProperty("dropped").GetInt64() > 0);
        Assert.Equal(root.GetProperty("dropped").GetInt64(), root.GetProperty("itemsGenerated").GetInt64());
        Assert.Equal(1.0, root.GetProperty("dropRatio").GetDouble());
        Assert.Equal(root.GetProperty("dropped").GetInt64(), root.GetProperty("droppedByReason").EnumerateObject().Sum(p => p.Value.GetInt64()));
    }

    [Fact]
    public async Task A_graph_that_loops_through_its_own_receiver_stops_after_measuring_without_losing_anything()
    {
        // The sources are held back once the window closes, so what was measured settles while the
        // receiver still runs; a plain stop would close the receiver under the exporter's feet.
        using var free = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        free.Start();
        var port = ((System.Net.IPEndPoint)free.LocalEndpoint).Port;
        free.Stop();
        var graph = Graph(
            """
            "expect": { "maxDropRatio": 0 }
            """,
            $$"""
            "gen":  { "type": "generate", "batchSize": 200 },
            "send": { "type": "otlp.exporter", "inputs": ["gen"], "capacity": 2, "endpoint": "http://127.0.0.1:{{port}}", "compression": "none",
                      "retry": { "initial": "100ms", "max": "1s" }, "queue": { "size": 4, "consumers": 2 } },
            "in":   { "type": "otlp.receiver", "grpc": "127.0.0.1:{{port}}", "ack": "delivered" },
            "out":  { "type": "perf.discard", "inputs": ["in"] }
            """);
        var json = Path.Combine(_folder, "loop.json");

        var exit = await _cli.RunAsync("perf", graph, "--duration", "1s", "--warmup", "500ms", "--json", json);

        Assert.True(exit == 0, $"exit {exit}\n{_cli.Out}\n{_cli.Error}");
        using var result = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var root = result.RootElement;
        Assert.Equal(0, root.GetProperty("dropped").GetInt64());
        Assert.True(root.GetProperty("latencyMs").GetProperty("samples").GetInt64() > 0);
        var byId = root.GetProperty("operators").EnumerateArray().ToDictionary(o => o.GetProperty("id").GetString()!);
        Assert.True(byId["out"].GetProperty("itemsInPerSecond").GetDouble() > 0);
    }

    [Fact]
    public async Task A_graph_without_generate_sources_or_with_an_unknown_expectation_is_refused_with_exit_2()
    {
        var graph = Graph(
            """
            "expect": { "minItemsPerSec": 10 }
            """,
            """
            "in":  { "type": "file.reader", "path": "nothing.jsonl" },
            "out": { "type": "perf.discard", "inputs": ["in"] }
            """);

        var exit = await _cli.RunAsync("perf", graph, "--duration", "1s");

        Assert.Equal(2, exit);
        var errors = _cli.ErrorLines;
        Assert.Contains(errors, e => e.Contains("unknown expectation 'minItemsPerSec'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("driven by 'generate' sources, and this one has none", StringComparison.Ordinal));
        Assert.Empty(_cli.Out.ToString());
    }

    [Fact]
    public async Task Perf_graphs_in_the_repository_are_valid_pipelines_with_the_perf_operators()
    {
        var registry = new OtlpFlowBuilder().BuildRegistry();
        registry.AddOperator<PerfProbe>(PerfProbe.TypeName);
        registry.AddOperator<PerfDiscardSink>(PerfDiscardSink.TypeName);
        var graphs = Directory.GetFiles(Path.Combine(RepositoryRoot(), "perf", "graphs"), "*.json");
        Assert.NotEmpty(graphs);
        foreach (var graph in graphs)
        {
            var spec = PipelineRunner.LoadFile(graph);
            Assert.True(spec.Problems.Count == 0, $"{graph}: {string.Join("; ", spec.Problems)}");
            var pipeline = new OtlpFlow.Engine.Pipeline.PipelineBuilder(registry, new PerfRecorder(TimeProvider.System, null), NullLoggerFactory.Instance).Build(PerfGraph.Instrument(spec));
            Assert.Contains(PerfGraph.GeneratorType, spec.Operators.Select(o => o.Type));
            await pipeline.DisposeAsync();
        }
    }

    [Fact]
    public void The_latency_histogram_gives_percentiles_within_its_bucket_precision()
    {
        var histogram = new LatencyHistogram();
        for (var ms = 1; ms <= 1000; ms++)
        {
            histogram.Record(TimeSpan.FromMilliseconds(ms));
        }

        Assert.Equal(1000, histogram.Count);
        Assert.InRange(histogram.Percentile(0.5).TotalMilliseconds, 500, 500 * 1.07);
        Assert.InRange(histogram.Percentile(0.99).TotalMilliseconds, 990, 990 * 1.07);
        Assert.InRange(histogram.Percentile(0.999).TotalMilliseconds, 999, 1000);
        Assert.Equal(TimeSpan.FromMilliseconds(1000), histogram.Max);
        Assert.Equal(TimeSpan.Zero, new LatencyHistogram().Percentile(0.99));
    }

    private string Graph(string expect, string? operators = null)
    {
        var path = Path.Combine(_folder, $"graph-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, $$"""
            {
              "name": "test-graph",
              "operators": {
                {{operators ?? """
                "gen": { "type": "generate", "batchSize": 100 },
                "out": { "type": "perf.discard", "inputs": ["gen"] }
                """}}
              },
              {{expect}}
            }
            """);
        return path;
    }

    internal static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "OtlpFlow.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("the repository root (with OtlpFlow.sln) is not above " + AppContext.BaseDirectory);
    }
}
