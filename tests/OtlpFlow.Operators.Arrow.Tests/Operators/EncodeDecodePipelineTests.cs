using System.Text.Json;
using OtlpFlow.Operators.Arrow.Operators;
using OtlpFlow.Operators.Arrow.Tests.Support;

namespace OtlpFlow.Operators.Arrow.Tests.Operators;

public sealed class EncodeDecodePipelineTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("traces", "zstd")]
    [InlineData("metrics", "lz4")]
    [InlineData("logs", "none")]
    [InlineData("traces", "zstdMessage")]
    [InlineData("logs", "zstdStream")]
    public async Task Encoding_and_decoding_in_a_pipeline_writes_the_same_file_as_writing_directly(string signal, string compression)
    {
        var direct = _dir.File($"direct-{signal}.json");
        var viaArrow = _dir.File($"arrow-{signal}.json");
        var generate = $$"""{ "type": "generate", "signal": "{{signal}}", "count": 3000, "batchSize": 250, "seed": 11 }""";

        await using (var plain = await Pipelines.RunToEndAsync($$"""
            {
              "operators": {
                "gen": {{generate}},
                "out": { "type": "file.writer", "inputs": ["gen"], "path": {{JsonSerializer.Serialize(direct)}} }
              }
            }
            """))
        {
        }

        await using var arrow = await Pipelines.RunToEndAsync($$"""
            {
              "operators": {
                "gen": {{generate}},
                "enc": { "type": "arrow.encode", "inputs": ["gen"], "compression": "{{compression}}" },
                "dec": { "type": "arrow.decode", "inputs": ["enc"] },
                "out": { "type": "file.writer", "inputs": ["dec"], "path": {{JsonSerializer.Serialize(viaArrow)}} }
              }
            }
            """);

        var decode = (ArrowDecodeOperator)arrow.Operators["dec"];
        Assert.All(["enc", "dec", "out"], id => Assert.True(arrow.Counters[id].Balanced, $"{id}: {arrow.Counters[id]}"));
        Assert.Equal(3000, arrow.Counters["out"].ItemsIn);
        Assert.Equal(12, decode.Decoded);
        Assert.Equal(0, decode.PassedThrough);
        Assert.Equal(0, ((ArrowEncodeOperator)arrow.Operators["enc"]).Memory.LiveBytes);
        Assert.Equal(0, decode.Memory.LiveBytes);
        Assert.Equal(await File.ReadAllBytesAsync(direct), await File.ReadAllBytesAsync(viaArrow));
    }

    [Fact]
    public async Task An_arrow_batch_still_decodes_after_an_operator_rewrote_its_tenant_and_metadata()
    {
        var direct = _dir.File("direct.json");
        var viaArrow = _dir.File("arrow.json");
        var generate = """{ "type": "generate", "signal": "traces", "count": 1000, "batchSize": 250, "seed": 12 }""";
        await using (var plain = await Pipelines.RunToEndAsync($$"""
            { "operators": {
                "gen": {{generate}},
                "out": { "type": "file.writer", "inputs": ["gen"], "path": {{JsonSerializer.Serialize(direct)}} } } }
            """))
        {
        }

        await using var arrow = await Pipelines.RunToEndAsync($$"""
            { "operators": {
                "gen": {{generate}},
                "enc": { "type": "arrow.encode", "inputs": ["gen"] },
                "tag": { "type": "test.rewriteMetadata", "inputs": ["enc"] },
                "dec": { "type": "arrow.decode", "inputs": ["tag"] },
                "out": { "type": "file.writer", "inputs": ["dec"], "path": {{JsonSerializer.Serialize(viaArrow)}} } } }
            """);

        var decode = (ArrowDecodeOperator)arrow.Operators["dec"];
        Assert.Equal(4, decode.Decoded);
        Assert.Equal(0, decode.PassedThrough);
        Assert.Equal(await File.ReadAllBytesAsync(direct), await File.ReadAllBytesAsync(viaArrow));
    }
}
