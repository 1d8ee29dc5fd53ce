using System.Text.Json;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Files;
using OtlpFlow.Operators.Tests.Files;

namespace OtlpFlow.Operators.Tests.EndToEnd;

/// <summary>The built-in operators together in real pipelines, as a user would run them.</summary>
public sealed class CorePipelineTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task<RunningPipeline> RunAsync(string json)
    {
        var pipeline = new PipelineBuilder(new OperatorRegistry().AddAssembly(typeof(FileReaderOperator).Assembly))
            .Build(PipelineLoader.Parse(json, "test.json"));
        await pipeline.StartAsync();
        await pipeline.Completion;
        return pipeline;
    }

    private static string Quote(string path) => JsonSerializer.Serialize(path);

    private static long CountSpans(string jsonFile) =>
        File.ReadLines(jsonFile).Where(l => l.Length > 0).Sum(l => (long)OtlpItems.Count(OtlpJson.Parse<OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest>(l)));

    [Fact]
    public async Task Generating_100000_spans_into_a_json_file_writes_exactly_100000_and_completes_by_itself()
    {
        var file = _dir.File("traces.json");
        await using var pipeline = await RunAsync($$"""
        { "operators": {
            "gen":  { "type": "generate", "count": 100000, "batchSize": 512, "seed": 3 },
            "file": { "type": "file.writer", "inputs": ["gen"], "path": {{Quote(file)}}, "format": "json" } } }
        """);

        Assert.Equal(100000, CountSpans(file));
        Assert.Equal(100000, pipeline.Counters["file"].ItemsOut);
    }

    [Fact]
    public async Task Json_to_protobuf_to_json_through_readers_and_writers_reproduces_the_same_data()
    {
        var original = _dir.File("a.json");
        var binary = _dir.File("b.pb");
        var again = _dir.File("c.json");
        await RunAsync($$"""
        { "operators": {
            "gen":  { "type": "generate", "count": 5000, "batchSize": 100, "seed": 11 },
            "file": { "type": "file.writer", "inputs": ["gen"], "path": {{Quote(original)}} } } }
        """);
        await RunAsync($$"""
        { "operators": {
            "read":  { "type": "file.reader", "path": {{Quote(original)}} },
            "write": { "type": "file.writer", "inputs": ["read"], "path": {{Quote(binary)}}, "format": "protobuf" } } }
        """);
        await RunAsync($$"""
        { "operators": {
            "read":  { "type": "file.reader", "path": {{Quote(binary)}}, "format": "protobuf", "signal": "traces" },
            "write": { "type": "file.writer", "inputs": ["read"], "path": {{Quote(again)}}, "format": "json" } } }
        """);

        Assert.Equal(5000, CountSpans(again));
        Assert.Equal(await File.ReadAllBytesAsync(original), await File.ReadAllBytesAsync(again));
    }

    [Theory]
    [InlineData("traces")]
    [InlineData("metrics")]
    [InlineData("logs")]
    public async Task Conservation_holds_on_every_operator_of_a_mixed_pipeline(string signal)
    {
        await using var pipeline = await RunAsync($$"""
        { "defaults": { "capacity": 4 },
          "operators": {
            "gen":    { "type": "generate", "signal": "{{signal}}", "count": 20000, "batchSize": 250, "seed": 5 },
            "filter": { "type": "filter", "inputs": ["gen"], "drop": { "checkout": "service == \"checkout\"" } },
            "batch":  { "type": "batch", "inputs": ["filter"], "size": 1000, "maxSize": 1500 },
            "tag":    { "type": "attributes", "inputs": ["batch"], "actions": [ { "action": "upsert", "key": "env", "value": "test" } ] },
            "a":      { "type": "file.writer", "inputs": ["tag"], "path": {{Quote(_dir.File(signal + "-a.json"))}} },
            "b":      { "type": "file.writer", "inputs": ["gen"], "path": {{Quote(_dir.File(signal + "-b.json"))}} } } }
        """);

        var counters = pipeline.Counters;
        Assert.Equal(20000, counters["gen"].ItemsOut);
        foreach (var id in new[] { "filter", "batch", "tag", "a", "b" })
        {
            Assert.True(counters[id].Balanced, $"{id}: {counters[id]}");
        }

        Assert.Equal(20000, counters["b"].ItemsOut);
        Assert.Equal(counters["filter"].ItemsOut, counters["a"].ItemsOut);
        Assert.Equal(20000, counters["a"].ItemsOut + counters["filter"].DroppedByReason.GetValueOrDefault("checkout"));
    }

    [Fact]
    public async Task The_attributes_branch_of_a_fan_out_does_not_change_the_other_branch()
    {
        var tagged = _dir.File("tagged.json");
        var plain = _dir.File("plain.json");
        await RunAsync($$"""
        { "operators": {
            "gen":    { "type": "generate", "count": 2000, "batchSize": 100 },
            "filter": { "type": "filter", "inputs": ["gen"], "drop": { "none": "name == \"no such span\"" } },
            "tag":    { "type": "attributes", "inputs": ["filter"], "actions": [ { "action": "upsert", "key": "marker", "value": "x" } ] },
            "t":      { "type": "file.writer", "inputs": ["tag"], "path": {{Quote(tagged)}} },
            "p":      { "type": "file.writer", "inputs": ["gen"], "path": {{Quote(plain)}} } } }
        """);

        Assert.Contains("\"marker\"", await File.ReadAllTextAsync(tagged), StringComparison.Ordinal);
        Assert.DoesNotContain("\"marker\"", await File.ReadAllTextAsync(plain), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_builtin_operator_is_registered_with_its_kind()
    {
        var registry = new OperatorRegistry().AddAssembly(typeof(FileReaderOperator).Assembly);
        var kinds = registry.Operators.ToDictionary(d => d.Type, d => d.Kind);
        Assert.Equal(OperatorKind.Source, kinds["generate"]);
        Assert.Equal(OperatorKind.Source, kinds["file.reader"]);
        Assert.Equal(OperatorKind.Sink, kinds["file.writer"]);
        Assert.Equal(OperatorKind.Sink, kinds["debug"]);
        Assert.Equal(OperatorKind.Processor, kinds["batch"]);
        Assert.Equal(OperatorKind.Processor, kinds["filter"]);
        Assert.Equal(OperatorKind.Processor, kinds["attributes"]);
    }
}
