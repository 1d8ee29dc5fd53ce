using System.Text.Json;
using Google.Protobuf;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Files;

namespace OtlpFlow.Operators.Tests.Files;

/// <summary>The file operators inside a real pipeline: loaded from JSON, started, drained and disposed by the engine.</summary>
public sealed class FilePipelineTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static RunningPipeline Build(string json) =>
        new PipelineBuilder(new OperatorRegistry().AddAssembly(typeof(FileReaderOperator).Assembly)).Build(PipelineLoader.Parse(json, "files.json"));

    [Fact]
    public async Task A_reader_feeding_a_writer_copies_the_file_and_the_pipeline_completes_at_its_end()
    {
        var source = _dir.File("in.json");
        var target = _dir.File("copy/out.pb");
        var requests = Enumerable.Range(1, 10).Select(i => (IMessage)FileSamples.Logs(i)).ToArray();
        await FileHarness.WriteAsync(source, FileFormat.Json, requests);
        await using var pipeline = Build($$"""
            {
              "operators": {
                "replay": { "type": "file.reader", "path": {{JsonSerializer.Serialize(source)}} },
                "out":    { "type": "file.writer", "inputs": ["replay"], "path": {{JsonSerializer.Serialize(target)}}, "format": "protobuf" }
              }
            }
            """);

        await pipeline.StartAsync();
        await pipeline.Completion;
        await pipeline.DisposeAsync();

        Assert.Equal(requests, await FileHarness.ReadAsync(target, FileFormat.Protobuf, Signal.Logs));
    }

    [Fact]
    public async Task A_missing_input_file_faults_the_pipeline_naming_the_reader()
    {
        var absent = _dir.File("absent.json");
        await using var pipeline = Build($$"""
            {
              "operators": {
                "replay": { "type": "file.reader", "path": {{JsonSerializer.Serialize(absent)}} },
                "out":    { "type": "file.writer", "inputs": ["replay"], "path": {{JsonSerializer.Serialize(_dir.File("out.json"))}} }
              }
            }
            """);

        await pipeline.StartAsync();
        var error = await Assert.ThrowsAsync<PipelineFaultedException>(() => pipeline.Completion);

        Assert.Contains("replay", error.Message, StringComparison.Ordinal);
        Assert.Contains(absent, error.ToString(), StringComparison.Ordinal);
    }
}
