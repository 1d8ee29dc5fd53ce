using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using OtlpFlow.Cli.Commands;

namespace OtlpFlow.Cli.Tests;

public sealed class SchemaTests
{
    private const string Regenerate = "dotnet run --project hosts/OtlpFlow.Cli -- schema";

    private static readonly JsonDocumentOptions PipelineJson = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private static readonly Lazy<JsonSchema> Committed = new(() =>
        JsonSchema.FromText(File.ReadAllText(RepositoryFiles.PathOf("schema/otlpflow.schema.json"))));

    public static TheoryData<string> Samples() => new(RepositoryFiles.SamplePipelines());

    [Fact]
    public void The_committed_schema_is_what_the_generator_makes_from_the_registered_operators()
    {
        var generated = SchemaCommand.Generate(BuiltInCli());
        var committed = File.ReadAllText(RepositoryFiles.PathOf("schema/otlpflow.schema.json")).ReplaceLineEndings("\n");

        Assert.True(generated == committed, $"schema/otlpflow.schema.json is stale: regenerate it with `{Regenerate}` from the repository root");
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_sample_pipeline_references_the_schema_and_validates_against_it(string sample)
    {
        var path = RepositoryFiles.PathOf(sample);
        using var document = JsonDocument.Parse(File.ReadAllText(path), PipelineJson);

        Assert.True(document.RootElement.TryGetProperty("$schema", out var reference), $"{sample}: add \"$schema\": \"<relative path to>/schema/otlpflow.schema.json\"");
        var referenced = Path.GetFullPath(reference.GetString()!, Path.GetDirectoryName(path)!);
        Assert.Equal(RepositoryFiles.PathOf("schema/otlpflow.schema.json"), referenced);

        var result = Evaluate(document.RootElement);
        Assert.True(result.IsValid, $"{sample}: {Errors(result)}");
    }

    [Fact]
    public void An_unknown_option_key_is_rejected_where_the_loader_would_reject_it()
    {
        var valid = Quickstart();
        Assert.True(Evaluate(valid).IsValid, Errors(Evaluate(valid)));

        var misspelt = Quickstart();
        misspelt["operators"]!["gen"]!["rat"] = 2000;
        var result = Evaluate(misspelt);
        Assert.False(result.IsValid);
        Assert.Contains("/operators/gen", Errors(result), StringComparison.Ordinal);

        var unknownTopLevel = Quickstart();
        unknownTopLevel["operator"] = new JsonObject();
        Assert.False(Evaluate(unknownTopLevel).IsValid);
    }

    [Fact]
    public void Values_of_the_wrong_type_unknown_operator_types_and_bad_durations_are_rejected()
    {
        var wrongType = Quickstart();
        wrongType["operators"]!["gen"]!["rate"] = "fast";
        Assert.False(Evaluate(wrongType).IsValid);

        var wrongEnum = Quickstart();
        wrongEnum["operators"]!["gen"]!["signal"] = "spans";
        Assert.False(Evaluate(wrongEnum).IsValid);

        var badDuration = Quickstart();
        badDuration["operators"]!["batch"]!["timeout"] = "1 second";
        Assert.False(Evaluate(badDuration).IsValid);

        var unknownType = Quickstart();
        unknownType["operators"]!["out"]!["type"] = "debugg";
        Assert.False(Evaluate(unknownType).IsValid);

        var missingType = Quickstart();
        missingType["operators"]!["out"]!.AsObject().Remove("type");
        Assert.False(Evaluate(missingType).IsValid);
    }

    [Fact]
    public void An_operator_type_from_a_plugin_is_accepted_only_when_the_pipeline_loads_plugins()
    {
        var pipeline = Quickstart();
        pipeline["operators"]!["redact"] = new JsonObject { ["type"] = "my.redact", ["inputs"] = new JsonArray("gen"), ["anything"] = 1 };
        Assert.False(Evaluate(pipeline).IsValid);

        pipeline["plugins"] = new JsonArray("plugins/My.dll");
        Assert.True(Evaluate(pipeline).IsValid, Errors(Evaluate(pipeline)));

        // A built-in type keeps its checks even then.
        pipeline["operators"]!["gen"]!["rat"] = 1;
        Assert.False(Evaluate(pipeline).IsValid);
    }

    [Fact]
    public void The_telemetry_section_is_described_and_checked()
    {
        var pipeline = Quickstart();
        pipeline["telemetry"] = JsonNode.Parse("""{ "otlp": { "endpoint": "http://127.0.0.1:4317", "protocol": "grpc", "interval": "5s" }, "prometheus": { "address": "127.0.0.1:9464" } }""");
        Assert.True(Evaluate(pipeline).IsValid, Errors(Evaluate(pipeline)));

        pipeline["telemetry"]!["otlp"]!["protocol"] = "udp";
        Assert.False(Evaluate(pipeline).IsValid);
    }

    [Fact]
    public void The_schema_command_writes_the_file_or_prints_it()
    {
        var cli = BuiltInCli();
        var folder = Directory.CreateTempSubdirectory("otlpflow-schema-").FullName;
        try
        {
            var path = Path.Combine(folder, "nested", "schema.json");
            Assert.Equal(0, SchemaCommand.Execute(path, cli));
            Assert.Equal(SchemaCommand.Generate(cli), File.ReadAllText(path));

            var printed = new StringWriter();
            Assert.Equal(0, SchemaCommand.Execute("-", new CliEnvironment { Out = printed, Error = TextWriter.Null }));
            Assert.Equal(SchemaCommand.Generate(cli), printed.ToString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    internal static CliEnvironment BuiltInCli() => new() { Out = TextWriter.Null, Error = TextWriter.Null };

    private static JsonObject Quickstart() =>
        JsonNode.Parse(File.ReadAllText(RepositoryFiles.PathOf("samples/pipelines/quickstart.json")), documentOptions: PipelineJson)!.AsObject();

    private static EvaluationResults Evaluate(JsonNode pipeline)
    {
        using var document = JsonDocument.Parse(pipeline.ToJsonString());
        return Evaluate(document.RootElement);
    }

    private static EvaluationResults Evaluate(JsonElement pipeline) =>
        Committed.Value.Evaluate(pipeline, new EvaluationOptions { OutputFormat = OutputFormat.List });

    private static string Errors(EvaluationResults result) =>
        string.Join("; ", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .Select(d => $"{d.InstanceLocation}: {string.Join(", ", d.Errors!.Values)}"));
}
