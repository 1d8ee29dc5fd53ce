using System.Text.Json;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Routing;
using OtlpFlow.Operators.Tests.Files;
using OtlpFlow.Operators.Tests.Flow;

namespace OtlpFlow.Operators.Tests.Routing;

public sealed class ConsistentHashPipelineTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Quote(string path) => JsonSerializer.Serialize(path);

    private static HashSet<string> TraceIds(string file, out long spans)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        spans = 0;
        foreach (var line in File.ReadLines(file).Where(l => l.Length > 0))
        {
            var request = OtlpJson.Parse<ExportTraceServiceRequest>(line);
            foreach (var span in request.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans))
            {
                ids.Add(Convert.ToHexString(span.TraceId.Span));
                spans++;
            }
        }

        return ids;
    }

    [Fact]
    public async Task Generate_to_three_file_writers_puts_every_trace_in_exactly_one_file_with_shares_within_10_percent()
    {
        // The sample pipeline, with its output paths moved to a temporary folder.
        var sample = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "samples", "pipelines", "partition.json"));
        foreach (var member in new[] { "a", "b", "c" })
        {
            sample = sample.Replace($"\"out/partition-{member}.json\"", Quote(_dir.File(member + ".json")), StringComparison.Ordinal);
        }

        await using var pipeline = await RoutingTestData.RunAsync(sample);

        var a = TraceIds(_dir.File("a.json"), out var spansA);
        var b = TraceIds(_dir.File("b.json"), out var spansB);
        var c = TraceIds(_dir.File("c.json"), out var spansC);
        Assert.Equal(100_000, spansA + spansB + spansC);
        Assert.Empty(a.Intersect(b));
        Assert.Empty(a.Intersect(c));
        Assert.Empty(b.Intersect(c));
        long[] shares = [spansA, spansB, spansC];
        Assert.True(shares.Max() <= shares.Min() * 1.10, $"shares {string.Join(", ", shares)}");
        Assert.True(pipeline.Counters["part"].Balanced, pipeline.Counters["part"].ToString());
        Assert.Equal(100_000, pipeline.Counters["part"].ItemsOut);
    }

    [Fact]
    public void The_partition_sample_pipeline_is_valid()
    {
        var path = Path.Combine(RepositoryRoot(), "samples", "pipelines", "partition.json");
        Assert.Empty(new PipelineBuilder(RoutingTestData.Registry()).Validate(PipelineLoader.Parse(File.ReadAllText(path), path)));
    }

    [Fact]
    public async Task A_member_removed_mid_run_gets_nothing_more_and_nothing_is_lost()
    {
        await using var pipeline = await RoutingTestData.StartAsync("""
        { "defaults": { "capacity": 4 },
          "operators": {
            "gen":  { "type": "generate", "count": 200000, "batchSize": 200, "rate": 400000, "seed": 2 },
            "part": { "type": "partition.consistentHash", "inputs": ["gen"], "members": ["a", "b", "c"] },
            "a":    { "type": "test.count", "inputs": ["part.a"] },
            "b":    { "type": "test.count", "inputs": ["part.b"] },
            "c":    { "type": "test.count", "inputs": ["part.c"] } } }
        """);
        var part = (ConsistentHashOperator)pipeline.Operators["part"];
        var b = (CountingSink)pipeline.Operators["b"];
        await Poll.UntilAsync(() => b.Items > 10_000, "member b receives data");

        ((MembershipSet)part.Membership).Remove("b");
        Assert.Equal(["a", "c"], part.CurrentMembers);
        var atRemoval = pipeline.Counters["part"].ItemsOut;
        await pipeline.Completion;

        var a = (CountingSink)pipeline.Operators["a"];
        var c = (CountingSink)pipeline.Operators["c"];
        Assert.Equal(200_000, a.Items + b.Items + c.Items);
        Assert.True(atRemoval < 200_000, "the membership changed before the run ended");
        Assert.True(b.Items <= atRemoval, $"b got {b.Items} after the removal at {atRemoval}");
        Assert.True(pipeline.Counters["part"].Balanced);
    }

    [Fact]
    public async Task A_named_membership_source_decides_the_members_at_start()
    {
        using var source = new MembershipSet(["c"]);
        var services = new KeyedServices().Add<IMembershipSource>("cluster", source);
        await using var pipeline = await RoutingTestData.RunAsync("""
        { "operators": {
            "gen":  { "type": "generate", "count": 5000, "batchSize": 100 },
            "part": { "type": "partition.consistentHash", "inputs": ["gen"], "members": ["a", "b", "c"], "membership": "cluster" },
            "a":    { "type": "test.count", "inputs": ["part.a"] },
            "b":    { "type": "test.count", "inputs": ["part.b"] },
            "c":    { "type": "test.count", "inputs": ["part.c"] } } }
        """, services);

        Assert.Equal(0, ((CountingSink)pipeline.Operators["a"]).Items);
        Assert.Equal(0, ((CountingSink)pipeline.Operators["b"]).Items);
        Assert.Equal(5000, ((CountingSink)pipeline.Operators["c"]).Items);
    }

    [Fact]
    public async Task A_missing_membership_source_fails_the_start_with_what_to_register()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => RoutingTestData.RunAsync("""
        { "operators": {
            "gen":  { "type": "generate", "count": 10 },
            "part": { "type": "partition.consistentHash", "inputs": ["gen"], "members": ["a"], "membership": "nowhere" },
            "a":    { "type": "test.count", "inputs": ["part.a"] } } }
        """));
        Assert.Contains("no membership source named 'nowhere'", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bounded_load_keeps_every_member_under_its_cap_for_a_single_hot_service()
    {
        await using var pipeline = await RoutingTestData.RunAsync("""
        { "operators": {
            "gen":  { "type": "generate", "count": 20000, "batchSize": 1000, "services": 1 },
            "part": { "type": "partition.consistentHash", "inputs": ["gen"], "key": "service", "members": ["a", "b", "c", "d"], "boundedLoad": 1.25 },
            "a":    { "type": "test.count", "inputs": ["part.a"] },
            "b":    { "type": "test.count", "inputs": ["part.b"] },
            "c":    { "type": "test.count", "inputs": ["part.c"] },
            "d":    { "type": "test.count", "inputs": ["part.d"] } } }
        """);

        var counts = new[] { "a", "b", "c", "d" }.Select(id => ((CountingSink)pipeline.Operators[id]).Items).ToArray();
        Assert.Equal(20000, counts.Sum());
        Assert.True(counts.Count(c => c > 0) >= 3, $"a single service spread over {string.Join(", ", counts)}");
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OtlpFlow.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("OtlpFlow.sln not found above " + AppContext.BaseDirectory);
    }
}
