using System.Text.Json;
using OtlpFlow.Conformance;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Files;

namespace OtlpFlow.Operators.Tests.Files;

/// <summary>
/// OpenTelemetry's own OTLP/JSON (the official examples and the Collector's pdata vectors, in
/// tests/Conformance/data) through <c>file.reader</c> → <c>file.writer</c> in a real pipeline:
/// every field of every file comes out intact.
/// </summary>
public sealed class FileConformanceTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Files() => ConformanceData.OtlpJsonCases();

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Every_official_example_comes_out_of_the_writer_with_every_field(string file)
    {
        var original = ConformanceData.OneLine(file);

        var lines = await CopyAsync([original]);

        var written = Assert.Single(lines);
        OtlpJsonSemantics.AssertSameMeaning(original, written);
        Assert.Equal(OtlpJson.Parse(original), OtlpJson.Parse(written));
    }

    [Fact]
    public async Task All_official_examples_in_one_file_come_out_in_order_with_every_field()
    {
        var originals = ConformanceData.OtlpJsonFiles.Select(ConformanceData.OneLine).ToArray();

        var lines = await CopyAsync(originals);

        Assert.Equal(originals.Length, lines.Count);
        foreach (var (original, written) in originals.Zip(lines))
        {
            OtlpJsonSemantics.AssertSameMeaning(original, written);
        }
    }

    private async Task<IReadOnlyList<string>> CopyAsync(IEnumerable<string> lines)
    {
        var source = _dir.File("in.json");
        var target = _dir.File("out/out.json");
        await File.WriteAllLinesAsync(source, lines);
        var registry = new OperatorRegistry().AddAssembly(typeof(FileReaderOperator).Assembly);
        await using var pipeline = new PipelineBuilder(registry).Build(PipelineLoader.Parse($$"""
            {
              "operators": {
                "replay": { "type": "file.reader", "path": {{JsonSerializer.Serialize(source)}} },
                "out":    { "type": "file.writer", "inputs": ["replay"], "path": {{JsonSerializer.Serialize(target)}}, "format": "json" }
              }
            }
            """, "conformance.json"));

        await pipeline.StartAsync();
        await pipeline.Completion;
        await pipeline.DisposeAsync();

        return (await File.ReadAllLinesAsync(target)).Where(l => l.Length > 0).ToArray();
    }
}
