using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Tests.Telemetry;

public sealed class BatchAttachmentTests
{
    private sealed record Note(string Text);

    private sealed record OtherNote(int Value);

    private static ExportTraceServiceRequest Request() => new()
    {
        ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { new Span { Name = "a" } } } } } },
    };

    [Fact]
    public void An_attachment_is_found_by_its_type_and_replaced_or_removed_without_touching_the_others()
    {
        var context = BatchContext.Empty.With(new Note("first")).With(new OtherNote(7));

        Assert.Equal("first", context.Get<Note>()?.Text);
        Assert.Equal(7, context.Get<OtherNote>()?.Value);
        Assert.Null(BatchContext.Empty.Get<Note>());

        var replaced = context.With(new Note("second"));
        Assert.Equal("second", replaced.Get<Note>()?.Text);
        Assert.Equal("first", context.Get<Note>()?.Text);
        Assert.Equal(2, replaced.AttachmentCount);

        var removed = replaced.Without<Note>();
        Assert.Null(removed.Get<Note>());
        Assert.Equal(7, removed.Get<OtherNote>()?.Value);
        Assert.Same(removed, removed.Without<Note>());
    }

    [Fact]
    public void Attachments_survive_derive_fork_with_context_and_a_metadata_rewrite()
    {
        var context = BatchContext.Empty.With(new Note("kept"));
        var batch = TelemetryBatch.Create(Request(), context);

        var rewritten = batch.WithContext(batch.Context with { Tenant = "t", Metadata = new Dictionary<string, string> { ["k"] = "v" } });

        Assert.Equal("kept", batch.Derive(Request()).Context.Get<Note>()?.Text);
        Assert.Equal("kept", batch.Fork(clonePayload: true).Context.Get<Note>()?.Text);
        Assert.Equal("kept", rewritten.Context.Get<Note>()?.Text);
        Assert.Equal("t", rewritten.Context.Tenant);
    }
}
