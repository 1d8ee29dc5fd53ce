using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Flow;
using OtlpFlow.Operators.Tests.Files;
using Microsoft.Extensions.Time.Testing;

namespace OtlpFlow.Operators.Tests.Flow;

/// <summary>
/// The persistent queue under a full disk, failing flushes and reads, damaged bytes and a crash
/// between any two of its file operations: nothing acknowledged (an enqueue that returned) is lost,
/// nothing half-written is ever handed out, and only completed records may come back after a crash.
/// </summary>
public sealed class DurableBatchQueueFaultTests
{
    private const long Budget = 1024 * 1024;

    private static TelemetryBatch Batch(int n, int spans = 10) =>
        TelemetryBatch.Create(FlowTestData.Request(spans, firstSpan: n * 1000), new BatchContext(null, new Dictionary<string, string>(), DateTimeOffset.UnixEpoch));

    private static int Number(DurableRecord record) =>
        int.Parse(((ExportTraceServiceRequest)record.Batch.Payload).ResourceSpans[0].ScopeSpans[0].Spans[0].Name[1..], System.Globalization.CultureInfo.InvariantCulture) / 1000;

    private static async Task<List<DurableRecord>> DrainAsync(DurableBatchQueue queue)
    {
        queue.CompleteAdding();
        var records = new List<DurableRecord>();
        while (await queue.DequeueAsync(CancellationToken.None) is { } record)
        {
            records.Add(record);
        }

        return records;
    }

    private static async Task<bool> TryEnqueueAsync(DurableBatchQueue queue, int n, int spans = 10)
    {
        try
        {
            await queue.EnqueueAsync(Batch(n, spans), CancellationToken.None);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Fact]
    public async Task A_write_that_fills_the_disk_at_any_byte_is_rolled_back_and_the_queue_resumes_when_space_returns()
    {
        // One record's frame is a few hundred bytes: the sweep puts the disk's end at every byte of
        // the third record and the head file.
        for (var capacity = 800; capacity < 1500; capacity += 7)
        {
            using var folder = new TempDirectory();
            var files = new FaultyQueueFileSystem(folder.Path) { Capacity = capacity };
            var acknowledged = new List<int>();
            using (var queue = DurableBatchQueue.Open(folder.Path, Budget, files, TimeProvider.System))
            {
                var n = 0;
                for (; n < 6; n++)
                {
                    if (await TryEnqueueAsync(queue, n))
                    {
                        acknowledged.Add(n);
                    }
                }

                Assert.True(acknowledged.Count < 6, $"capacity {capacity}: the disk never filled");
                Assert.True(queue.FailedWrites > 0);

                // Space returns: the queue takes records again by itself.
                files.Capacity = null;
                for (; n < 9; n++)
                {
                    Assert.True(await TryEnqueueAsync(queue, n), $"capacity {capacity}: record {n} refused after space returned");
                    acknowledged.Add(n);
                }

                var first = await DrainAsync(queue);
                Assert.Equal(acknowledged, first.Select(Number));
                Assert.Equal(0, queue.Damaged);
            }

            // Nothing was completed: after a restart every acknowledged record is there, intact.
            using var reopened = DurableBatchQueue.Open(folder.Path, Budget);
            var again = await DrainAsync(reopened);
            Assert.Equal(acknowledged, again.Select(Number));
            Assert.Equal(0, reopened.Damaged);
        }
    }

    [Fact]
    public async Task Progress_is_recorded_on_a_full_disk_so_delivered_records_are_not_sent_again()
    {
        using var folder = new TempDirectory();
        var files = new FaultyQueueFileSystem(folder.Path);
        using (var queue = DurableBatchQueue.Open(folder.Path, Budget, files, TimeProvider.System))
        {
            for (var n = 0; n < 6; n++)
            {
                await queue.EnqueueAsync(Batch(n), CancellationToken.None);
            }

            // The disk is now exactly full: not one more byte can be allocated.
            files.Capacity = Directory.GetFiles(folder.Path).Sum(f => new FileInfo(f).Length);
            Assert.False(await TryEnqueueAsync(queue, 6));
            for (var i = 0; i < 4; i++)
            {
                queue.Complete((await queue.DequeueAsync(CancellationToken.None))!);
            }

            Assert.Equal(0, queue.FailedHeadWrites);
        }

        using var reopened = DurableBatchQueue.Open(folder.Path, Budget);
        Assert.Equal([4, 5], (await DrainAsync(reopened)).Select(Number));
    }

    [Fact]
    public async Task A_failed_flush_fails_the_enqueue_and_leaves_no_trace_of_the_record()
    {
        using var folder = new TempDirectory();
        var files = new FaultyQueueFileSystem(folder.Path);
        using (var queue = DurableBatchQueue.Open(folder.Path, Budget, files, TimeProvider.System))
        {
            await queue.EnqueueAsync(Batch(0), CancellationToken.None);
            files.FailFlush = true;
            await Assert.ThrowsAsync<IOException>(() => queue.EnqueueAsync(Batch(1), CancellationToken.None).AsTask());
            files.FailFlush = false;
            await queue.EnqueueAsync(Batch(2), CancellationToken.None);
            Assert.Equal(1, queue.FailedWrites);
        }

        using var reopened = DurableBatchQueue.Open(folder.Path, Budget);
        Assert.Equal([0, 2], (await DrainAsync(reopened)).Select(Number));
        Assert.Equal(0, reopened.Damaged);
    }

    [Fact]
    public async Task A_damaged_record_is_skipped_and_every_record_after_it_survives_recovery()
    {
        using var folder = new TempDirectory();
        using (var queue = DurableBatchQueue.Open(folder.Path, Budget))
        {
            for (var n = 0; n < 5; n++)
            {
                await queue.EnqueueAsync(Batch(n), CancellationToken.None);
            }
        }

        // Flip a byte in the middle of the third record.
        var segment = Directory.GetFiles(folder.Path, "*.seg").Single();
        var bytes = await File.ReadAllBytesAsync(segment);
        var recordLength = bytes.Length / 5;
        bytes[(2 * recordLength) + (recordLength / 2)] ^= 0xFF;
        await File.WriteAllBytesAsync(segment, bytes);

        using var reopened = DurableBatchQueue.Open(folder.Path, Budget);
        Assert.Equal(4, reopened.Recovered);
        Assert.Equal(1, reopened.Damaged);
        Assert.Equal([0, 1, 3, 4], (await DrainAsync(reopened)).Select(Number));
    }

    [Fact]
    public async Task A_record_that_cannot_be_read_is_read_again_never_skipped()
    {
        using var folder = new TempDirectory();
        var files = new FaultyQueueFileSystem(folder.Path);
        var time = new FakeTimeProvider();
        using var queue = DurableBatchQueue.Open(folder.Path, Budget, files, time);
        await queue.EnqueueAsync(Batch(0), CancellationToken.None);
        await queue.EnqueueAsync(Batch(1), CancellationToken.None);
        files.FailingReads = 3;

        // The retries wait on the fake clock: move it until the record is read. Bounded in real time
        // rather than in steps, so a busy machine (where a retry's continuation runs late) cannot
        // stop the clock before the third retry is due.
        var dequeue = queue.DequeueAsync(CancellationToken.None).AsTask();
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!dequeue.IsCompleted && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
        }

        var record = await dequeue.WaitAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(0, Number(record!));
        Assert.Equal(0, files.FailingReads);
        Assert.Equal(0, queue.Damaged);
        Assert.Equal(2, queue.Count);
    }

    /// <summary>
    /// The scenario below run once per changing file operation, crashing at it (a write is torn at
    /// several points). After each crash a fresh queue on the same folder hands out every record whose
    /// enqueue returned and was not completed, in order, and nothing else but completed records.
    /// </summary>
    [Fact]
    public async Task A_crash_between_any_two_file_operations_loses_nothing_acknowledged()
    {
        int operations;
        using (var folder = new TempDirectory())
        {
            var clean = new FaultyQueueFileSystem(folder.Path);
            await ScenarioAsync(folder.Path, clean, [], []);
            operations = clean.Operations;
        }

        Assert.True(operations > 20, $"the scenario has only {operations} operations");
        var runs = 0;
        for (var crashAt = 1; crashAt <= operations; crashAt++)
        {
            foreach (var torn in new[] { 0, 1, 13, 200, int.MaxValue })
            {
                using var folder = new TempDirectory();
                var files = new FaultyQueueFileSystem(folder.Path) { CrashAt = crashAt, TornBytes = torn };
                var acknowledged = new List<int>();
                var completed = new HashSet<int>();
                await Assert.ThrowsAsync<FaultyQueueFileSystem.CrashedException>(() => ScenarioAsync(folder.Path, files, acknowledged, completed));
                runs++;

                using var reopened = DurableBatchQueue.Open(folder.Path, Budget);
                var recovered = (await DrainAsync(reopened)).Select(Number).ToList();
                var context = $"crash at operation {crashAt}, torn to {torn} bytes: recovered [{string.Join(",", recovered)}], acknowledged [{string.Join(",", acknowledged)}], completed [{string.Join(",", completed)}]";
                foreach (var n in acknowledged.Where(n => !completed.Contains(n)))
                {
                    Assert.True(recovered.Contains(n), context);
                }

                // Order kept; a record may be there only if it was acknowledged, or was the write
                // in progress (its client was never answered), and never twice.
                Assert.Equal(recovered.Order(), recovered);
                Assert.Equal(recovered.Distinct().Count(), recovered.Count);
                var inProgress = acknowledged.Count == 0 ? 0 : acknowledged[^1] + 1;
                Assert.All(recovered, n => Assert.True(acknowledged.Contains(n) || n == inProgress, context));
            }
        }

        Assert.Equal(operations * 5, runs);
    }

    /// <summary>Small segments (a 16 KiB budget holds about four records a segment), completions in and out of order, a reopen.</summary>
    private static async Task ScenarioAsync(string folder, FaultyQueueFileSystem files, List<int> acknowledged, HashSet<int> completed)
    {
        const long Small = 16 * 1024;
        var queue = DurableBatchQueue.Open(folder, Small, files, TimeProvider.System);
        try
        {
            var next = 0;
            async Task EnqueueAsync(int count)
            {
                for (var i = 0; i < count; i++, next++)
                {
                    await queue.EnqueueAsync(Batch(next, spans: 12), CancellationToken.None);
                    acknowledged.Add(next);
                }
            }

            async Task CompleteAsync(int count, bool reversed)
            {
                var records = new List<DurableRecord>();
                for (var i = 0; i < count; i++)
                {
                    records.Add((await queue.DequeueAsync(CancellationToken.None))!);
                }

                if (reversed)
                {
                    records.Reverse();
                }

                foreach (var record in records)
                {
                    // Complete is called once the record was delivered: a crash inside it may only
                    // bring the record back, so it counts as completed from the start of the call.
                    completed.Add(Number(record));
                    queue.Complete(record);
                }
            }

            await EnqueueAsync(7);
            await CompleteAsync(3, reversed: true);
            await EnqueueAsync(4);
            await CompleteAsync(4, reversed: false);
            queue.Dispose();

            queue = DurableBatchQueue.Open(folder, Small, files, TimeProvider.System);
            await EnqueueAsync(2);
            await CompleteAsync(3, reversed: false);
        }
        finally
        {
            queue.Dispose();
        }
    }
}
