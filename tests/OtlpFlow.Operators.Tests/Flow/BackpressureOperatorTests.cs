using System.Text.Json;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Flow;
using OtlpFlow.Operators.Tests.Files;

namespace OtlpFlow.Operators.Tests.Flow;

public sealed class BackpressureOperatorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// A harness whose output edge holds one batch, so that with the output held the sink waits
    /// with one batch and the operator's tick waits to hand over the next.
    /// </summary>
    private static Task<OperatorHarness> Create(string optionsJson) =>
        OperatorHarness.CreateAsync(new OperatorRegistry().AddAssembly(typeof(BackpressureOperator).Assembly), "flow.backpressure", optionsJson,
            new OperatorHarnessOptions { OutputCapacity = 1 });

    private static BackpressureOperator Buffer(OperatorHarness harness) => (BackpressureOperator)harness.Operator;

    /// <summary>Sends a batch of 10 spans named from <paramref name="index"/>×10; the task is its acknowledgement.</summary>
    private static Task<AcknowledgementResult> Send(OperatorHarness harness, int index) =>
        harness.SendAsync(FlowTestData.Batch(10, firstSpan: index * 10).Batch);

    /// <summary>Sends a batch and waits until the operator's call for it returned.</summary>
    private static async Task<Task<AcknowledgementResult>> Offer(OperatorHarness harness, int index)
    {
        var ack = Send(harness, index);
        await harness.WhenIdleAsync();
        return ack;
    }

    /// <summary>
    /// Sends batches 0 and 1 and waits until both are on their way out: 0 held at the sink, 1 taken
    /// by the tick that waits behind it. The buffer is empty again.
    /// </summary>
    private static async Task<Task<AcknowledgementResult>[]> StartSlow(OperatorHarness harness)
    {
        harness.Output().Hold();
        var first = await Offer(harness, 0);
        await Poll.UntilAsync(() => harness.Output().HeldBatches == 1, "batch 0 held at the sink");
        var second = await Offer(harness, 1);
        await Poll.UntilAsync(() => Buffer(harness).BufferedInMemory == 0, "batch 1 taken out to wait behind batch 0");
        return [first, second];
    }

    private static async Task<string[]> Drain(OperatorHarness harness)
    {
        harness.Output().Release();
        await harness.CompleteAsync();
        harness.AssertConserved();
        return [.. harness.Output().Batches.SelectMany(FlowTestData.Names)];
    }

    private static IEnumerable<string> Expected(params int[] indexes) =>
        indexes.SelectMany(i => Enumerable.Range(i * 10, 10).Select(n => "s" + n));

    [Fact]
    public async Task Block_stops_taking_input_when_the_buffer_is_full_and_loses_nothing()
    {
        await using var harness = await Create("""{ "policy": "block", "bufferSize": 2, "capacity": 1 }""");
        var acks = (await StartSlow(harness)).ToList();
        acks.Add(await Offer(harness, 2));
        acks.Add(await Offer(harness, 3));

        // The buffer is full: the call for batch 4 sends the oldest buffered batch itself and waits
        // for downstream with it, so the operator takes no more input and the next sender waits.
        acks.Add(Send(harness, 4));
        await Poll.UntilAsync(() => Buffer(harness).BufferedInMemory == 1 && harness.Waiting == 0, "the call for batch 4 to send batch 2 itself");
        acks.Add(Send(harness, 5));
        Assert.Equal(1, harness.Waiting);
        Assert.Empty(harness.Output().Batches);
        Assert.Equal(1, Buffer(harness).BufferedInMemory);
        Assert.False(acks[^1].IsCompleted, "batch 5 was answered while the buffer was full");

        Assert.Equal(Expected(0, 1, 2, 3, 4, 5), await Drain(harness));
        foreach (var ack in acks)
        {
            var result = await ack;
            Assert.True(result.Succeeded);
            Assert.Equal(0, result.RefusedItems);
        }
    }

    [Fact]
    public async Task Drop_newest_refuses_arrivals_while_the_buffer_is_full()
    {
        await using var harness = await Create("""{ "policy": "dropNewest", "bufferSize": 2 }""");
        await StartSlow(harness);
        await Offer(harness, 2);
        await Offer(harness, 3);
        var refused = await Offer(harness, 4);

        Assert.Equal(10, (await refused).RefusedItems);
        Assert.Equal(10, harness.Counters.DroppedByReason[BackpressureOperator.DropReason]);
        Assert.Equal(Expected(4), harness.Output(IOperatorOutput.DroppedPort).Batches.SelectMany(FlowTestData.Names));
        Assert.Equal(Expected(0, 1, 2, 3), await Drain(harness));
    }

    [Fact]
    public async Task Drop_oldest_makes_room_by_dropping_the_oldest_buffered_batch()
    {
        await using var harness = await Create("""{ "policy": "dropOldest", "bufferSize": 2 }""");
        var first = (await StartSlow(harness))[0];
        var oldest = await Offer(harness, 2);
        await Offer(harness, 3);
        await Offer(harness, 4);

        Assert.Equal(10, (await oldest).RefusedItems);
        Assert.Equal(10, harness.Counters.DroppedByReason[BackpressureOperator.DropReason]);
        Assert.Equal(Expected(0, 1, 3, 4), await Drain(harness));
        Assert.Equal(0, (await first).RefusedItems);
    }

    [Fact]
    public async Task Spill_stays_within_its_disk_budget_while_the_sink_is_stalled_and_replays_everything_in_order()
    {
        var budget = ByteSize.FromKiB(8);
        await using var harness = await Create($$"""{ "policy": "spill", "bufferSize": 2, "spillPath": {{JsonSerializer.Serialize(_dir.Path)}}, "spillBudget": "8KiB" }""");
        var op = Buffer(harness);
        var acks = (await StartSlow(harness)).ToList();
        acks.Add(await Offer(harness, 2));
        acks.Add(await Offer(harness, 3));

        // Memory is full: batches go to disk up to the budget; the next one finds no room anywhere,
        // and its call sends the oldest buffered batch itself, waiting for downstream.
        var index = 4;
        while (true)
        {
            var spilled = op.Spilled;
            acks.Add(Send(harness, index++));
            await Poll.UntilAsync(() => op.Spilled == spilled + 1 || op.BufferedInMemory == 1, "the batch spilled, or its call blocked");
            Assert.True(DiskBytes() <= budget.Bytes, $"{DiskBytes()} bytes on disk");
            if (op.BufferedInMemory == 1)
            {
                break;
            }

            await harness.WhenIdleAsync();
        }

        Assert.True(op.Spilled >= 10, $"only {op.Spilled} spilled");
        Assert.Empty(harness.Output().Batches);

        // The sink resumes: everything arrives, in arrival order, and the spill files are gone.
        harness.Output().Release();
        for (var i = 0; i < 5; i++)
        {
            acks.Add(Send(harness, index++));
            await harness.WhenIdleAsync();
        }

        await harness.CompleteAsync();
        harness.AssertConserved();
        Assert.Equal(Expected([.. Enumerable.Range(0, index)]), harness.Output().Batches.SelectMany(FlowTestData.Names));
        foreach (var ack in acks)
        {
            Assert.True((await ack).Succeeded);
        }

        Assert.Equal(0, op.SpilledBytes);
        Assert.Equal(0, DiskBytes());
    }

    [Fact]
    public async Task Spilled_batches_keep_their_tenant_and_metadata()
    {
        await using var harness = await Create($$"""{ "policy": "spill", "bufferSize": 1, "spillPath": {{JsonSerializer.Serialize(_dir.Path)}} }""");
        await StartSlow(harness);
        await Offer(harness, 2);
        var (batch, _) = FlowTestData.Batch(3, tenant: "acme", metadata: new Dictionary<string, string> { ["x-region"] = "eu" });
        _ = harness.SendAsync(batch);
        await harness.WhenIdleAsync();
        Assert.Equal(1, Buffer(harness).Spilled);

        await Drain(harness);
        var replayed = harness.Output().Batches[^1];
        Assert.Equal("acme", replayed.Context.Tenant);
        Assert.Equal("eu", replayed.Context.Metadata["x-region"]);
        Assert.Equal(batch.Payload, replayed.Payload);
    }

    private long DiskBytes() => Directory.Exists(_dir.Path) ? Directory.EnumerateFiles(_dir.Path).Sum(f => new FileInfo(f).Length) : 0;
}
