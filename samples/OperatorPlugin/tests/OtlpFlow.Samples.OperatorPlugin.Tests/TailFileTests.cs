using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;

namespace OtlpFlow.Samples.OperatorPlugin.Tests;

public sealed class TailFileTests
{
    private static readonly System.Reflection.Assembly[] Plugin = [typeof(TailFileOperator).Assembly];
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    [Theory]
    [InlineData("""{ "path": "x.json", "fromStrat": true }""", "'fromStrat' unknown option; did you mean 'fromStart'?")]
    [InlineData("""{ "path": "x.json", "pollInterval": "2m" }""", "pollInterval")]
    [InlineData("""{ "fromStart": true }""", "path")]
    public async Task Option_errors_are_reported_as_validate_reports_them(string options, string expected)
    {
        var error = await Assert.ThrowsAsync<PipelineValidationException>(() => OperatorHarness.CreateAsync(Plugin, "sample.tailFile", options));

        Assert.Contains(expected, Assert.Single(error.Errors).Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Follows_appended_lines_skipping_bad_ones_and_waiting_for_a_partial_line()
    {
        using var folder = new TempFolder();
        var path = folder.File("traces.json");
        await File.WriteAllTextAsync(path, Line("a") + "not json\n" + Line("b"));
        await using var harness = await OperatorHarness.CreateAsync(Plugin, "sample.tailFile", Options(path, fromStart: true));

        await UntilBatchesAsync(harness, 2);

        // Half a line: it waits for its newline, then the next line comes too.
        var c = Line("c");
        await File.AppendAllTextAsync(path, c[..10]);
        var tail = (TailFileOperator)harness.Operator;
        await Poll.UntilAsync(
            () =>
            {
                harness.AdvanceTime(PollInterval);
                return tail.Position == new FileInfo(path).Length;
            },
            "the source to read the half line");
        Assert.Equal(2, harness.Output().Batches.Count);
        Assert.Equal(1, tail.SkippedLines);
        await File.AppendAllTextAsync(path, c[10..] + Line("d"));
        await UntilBatchesAsync(harness, 4);

        await harness.CompleteAsync();
        Assert.Equal(["a", "b", "c", "d"], harness.Output().Batches.Select(b => b.Traces!.ResourceSpans[0].ScopeSpans[0].Spans[0].Name));
        Assert.Equal(1, tail.SkippedLines);
        harness.AssertConserved();
    }

    [Fact]
    public async Task A_line_longer_than_maxLineBytes_is_skipped_without_being_held_and_a_byte_order_mark_is_read_past()
    {
        using var folder = new TempFolder();
        var path = folder.File("traces.json");

        // A byte order mark first; then a line of 200 KiB (its newline comes in a later read than its start).
        await File.WriteAllBytesAsync(path, [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes(Line("a") + new string('x', 200 * 1024) + "\n" + Line("b"))]);
        await using var harness = await OperatorHarness.CreateAsync(
            Plugin, "sample.tailFile", $$"""{ "path": {{System.Text.Json.JsonSerializer.Serialize(path)}}, "fromStart": true, "maxLineBytes": 65536 }""");

        await UntilBatchesAsync(harness, 2);

        await harness.CompleteAsync();
        var tail = (TailFileOperator)harness.Operator;
        Assert.Equal(["a", "b"], harness.Output().Batches.Select(b => b.Traces!.ResourceSpans[0].ScopeSpans[0].Spans[0].Name));
        Assert.Equal(1, tail.SkippedLines);
        harness.AssertConserved();
    }

    [Fact]
    public async Task Without_fromStart_only_lines_appended_after_start_are_read()
    {
        using var folder = new TempFolder();
        var path = folder.File("traces.json");
        await File.WriteAllTextAsync(path, Line("old"));
        await using var harness = await OperatorHarness.CreateAsync(Plugin, "sample.tailFile", Options(path, fromStart: false));

        await File.AppendAllTextAsync(path, Line("new"));
        await UntilBatchesAsync(harness, 1);

        await harness.CompleteAsync();
        Assert.Equal("new", harness.Output().Batches.Single().Traces!.ResourceSpans[0].ScopeSpans[0].Spans[0].Name);
        harness.AssertConserved();
    }

    // The source waits on the harness's fake clock: move it on until the batches have come.
    private static Task UntilBatchesAsync(OperatorHarness harness, int count) =>
        Poll.UntilAsync(
            () =>
            {
                harness.AdvanceTime(PollInterval);
                return harness.Output().Batches.Count >= count;
            },
            $"{count} batches from the file");

    private static string Line(string spanName)
    {
        var request = Spans.Request("tail", 1);
        request.ResourceSpans[0].ScopeSpans[0].Spans[0].Name = spanName;
        return OtlpJson.Format(request) + "\n";
    }

    private static string Options(string path, bool fromStart) =>
        $$"""{ "path": {{System.Text.Json.JsonSerializer.Serialize(path)}}, "fromStart": {{(fromStart ? "true" : "false")}}, "pollInterval": "200ms" }""";
}
