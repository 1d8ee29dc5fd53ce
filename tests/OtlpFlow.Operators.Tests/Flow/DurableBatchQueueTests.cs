using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Flow;
using OtlpFlow.Operators.Tests.Files;

namespace OtlpFlow.Operators.Tests.Flow;

public sealed class DurableBatchQueueTests
{
    private static TelemetryBatch Batch(int first, int spans = 10, string? tenant = null, bool encoded = false)
    {
        var request = FlowTestData.Request(spans, firstSpan: first);
        var context = new BatchContext(tenant, new Dictionary<string, string> { ["k"] = "v" }, DateTimeOffset.UnixEpoch);
        return encoded
            ? TelemetryBatch.FromEncoded(Signal.Traces, SegmentedBytes.Encode(request), spans, context)
            : TelemetryBatch.Create(request, context);
    }

    private static string FirstName(DurableRecord record) =>
        ((ExportTraceServiceRequest)record.Batch.Payload).ResourceSpans[0].ScopeSpans[0].Spans[0].Name;

    private static async Task<List<DurableRecord>> DrainAsync(DurableBatchQueue queue, int count)
    {
        var records = new List<DurableRecord>();
        for (var i = 0; i < count; i++)
        {
            records.Add((await queue.DequeueAsync(CancellationToken.None))!);
        }

        return records;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Records_survive_a_reopen_in_order_with_their_context(bool encoded)
    {
        using var folder = new TempDirectory();
        using (var queue = DurableBatchQueue.Open(folder.Path, 1024 * 1024))
        {
            for (var i = 0; i < 3; i++)
            {
                var batch = Batch(i * 10, tenant: "t" + i, encoded: encoded);
                await queue.EnqueueAsync(batch, CancellationToken.None);

                // An encoded batch is written as its bytes: queueing it builds no objects.
                Assert.Equal(encoded, batch.TryGetEncoded(out _));
            }
        }

        using var reopened = DurableBatchQueue.Open(folder.Path, 1024 * 1024);
        Assert.Equal(3, reopened.Recovered);
        var records = await DrainAsync(reopened, 3);
        Assert.Equal(["s0", "s10", "s20"], records.Select(FirstName));
        Assert.Equal(["t0", "t1", "t2"], records.Select(r => r.Batch.Context.Tenant));
        Assert.All(records, r => Assert.Equal("v", r.Batch.Context.Metadata["k"]));
        Assert.All(records, r => Assert.Equal(10, r.Batch.ItemCount));
    }

    [Fact]
    public async Task A_record_handed_out_but_not_completed_is_handed_out_again_after_a_reopen()
    {
        using var folder = new TempDirectory();
        using (var queue = DurableBatchQueue.Open(folder.Path, 1024 * 1024))
        {
            for (var i = 0; i < 4; i++)
            {
                await queue.EnqueueAsync(Batch(i * 10), CancellationToken.None);
            }

            var records = await DrainAsync(queue, 3);
            queue.Complete(records[0]);
            queue.Complete(records[2]); // out of order: the head waits for records[1]
        }

        using var reopened = DurableBatchQueue.Open(folder.Path, 1024 * 1024);
        var again = await DrainAsync(reopened, reopened.Recovered);
        Assert.Equal(["s10", "s20", "s30"], again.Select(FirstName));
    }

    [Fact]
    public async Task A_record_torn_by_a_crash_is_cut_off_and_the_queue_goes_on()
    {
        using var folder = new TempDirectory();
        using (var queue = DurableBatchQueue.Open(folder.Path, 1024 * 1024))
        {
            await queue.EnqueueAsync(Batch(0), CancellationToken.None);
            await queue.EnqueueAsync(Batch(10), CancellationToken.None);
        }

        // A crash in the middle of a write: a header that promises more bytes than follow.
        var segment = Directory.GetFiles(folder.Path, "*.seg").Single();
        await using (var stream = new FileStream(segment, FileMode.Append))
        {
            stream.Write([200, 0, 0, 0, 1, 2, 3, 4, 9, 9]);
        }

        using var reopened = DurableBatchQueue.Open(folder.Path, 1024 * 1024);
        Assert.Equal(2, reopened.Recovered);
        Assert.Equal(1, reopened.Damaged);
        await reopened.EnqueueAsync(Batch(20), CancellationToken.None);
        var records = await DrainAsync(reopened, 3);
        Assert.Equal(["s0", "s10", "s20"], records.Select(FirstName));
    }

    [Fact]
    public async Task Completing_everything_deletes_the_segment_files()
    {
        using var folder = new TempDirectory();
        using var queue = DurableBatchQueue.Open(folder.Path, 64 * 1024);
        for (var i = 0; i < 50; i++)
        {
            await queue.EnqueueAsync(Batch(i * 10), CancellationToken.None);
        }

        Assert.True(Directory.GetFiles(folder.Path, "*.seg").Length > 1);
        foreach (var record in await DrainAsync(queue, 50))
        {
            queue.Complete(record);
        }

        Assert.Equal(0, queue.BytesOnDisk);
        Assert.Equal(0, queue.Count);
        Assert.Empty(Directory.GetFiles(folder.Path, "*.seg"));
    }

    [Fact]
    public async Task An_enqueue_past_the_byte_budget_waits_until_completed_records_free_a_segment()
    {
        using var folder = new TempDirectory();
        using var queue = DurableBatchQueue.Open(folder.Path, 64 * 1024);
        var written = 0;
        Task pending;
        while (true)
        {
            pending = queue.EnqueueAsync(Batch(written * 10, spans: 20), CancellationToken.None).AsTask();
            if (!pending.IsCompleted)
            {
                break;
            }

            await pending;
            written++;
        }

        Assert.True(queue.BytesOnDisk <= 64 * 1024);
        Assert.False(pending.IsCompleted);

        // Nothing but completions frees room; completing every written record lets the enqueue in.
        foreach (var record in await DrainAsync(queue, written))
        {
            queue.Complete(record);
        }

        await pending.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, queue.Count);
    }

    [Fact]
    public async Task A_batch_larger_than_the_whole_budget_is_refused_with_its_size()
    {
        using var folder = new TempDirectory();
        using var queue = DurableBatchQueue.Open(folder.Path, 4096);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => queue.EnqueueAsync(Batch(0, spans: 500), CancellationToken.None).AsTask());
        Assert.Contains("does not fit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dequeue_returns_null_once_adding_is_completed_and_everything_was_handed_out()
    {
        using var folder = new TempDirectory();
        using var queue = DurableBatchQueue.Open(folder.Path, 1024 * 1024);
        await queue.EnqueueAsync(Batch(0), CancellationToken.None);
        var waiting = queue.DequeueAsync(CancellationToken.None).AsTask();
        var first = await waiting;
        var next = queue.DequeueAsync(CancellationToken.None).AsTask();
        queue.CompleteAdding();

        Assert.NotNull(first);
        Assert.Null(await next.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
