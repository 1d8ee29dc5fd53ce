using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Flow;
using OtlpFlow.Operators.Tests.Files;

namespace OtlpFlow.Operators.Tests.Flow;

public sealed class BackpressureOperatorTests : IDisposable
{
    private readonly GatedOutput _output = new();
    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        _output.Dispose();
        _dir.Dispose();
    }

    private async Task<BackpressureOperator> Start(BackpressureOptions options)
    {
        var op = new BackpressureOperator(options, TestOperatorContext.Create());
        op.AttachOutput(_output);
        await op.StartAsync(CancellationToken.None);
        return op;
    }

    /// <summary>Sends a batch of 10 spans named from <paramref name="index"/>×10, as the engine would.</summary>
    private async Task<AcknowledgementTracker> Send(BackpressureOperator op, int index)
    {
        var (batch, tracker) = FlowTestData.Batch(10, firstSpan: index * 10);
        await op.ProcessAsync(batch, _output, CancellationToken.None);
        batch.Ack.Deliver();
        return tracker;
    }

    private IEnumerable<string> Expected(params int[] indexes) =>
        indexes.SelectMany(i => Enumerable.Range(i * 10, 10).Select(n => "s" + n));

    [Fact]
    public async Task Block_stops_taking_input_when_the_buffer_is_full_and_loses_nothing()
    {
        var op = await Start(new BackpressureOptions { Policy = BackpressurePolicy.Block, BufferSize = 2 });
        await Send(op, 0);
        await FlowTestData.Eventually(() => _output.Waiting == 1); // the sender holds batch 0 at the gate
        await Send(op, 1);
        await Send(op, 2);
        var blocked = Send(op, 3);
        Assert.False(blocked.IsCompleted);

        _output.Allow();
        await blocked;
        _output.Open();
        await op.FlushAsync(_output, CancellationToken.None);
        Assert.Equal(Expected(0, 1, 2, 3), _output.Emitted.SelectMany(FlowTestData.Names));
    }

    [Fact]
    public async Task Drop_newest_refuses_arrivals_while_the_buffer_is_full()
    {
        var op = await Start(new BackpressureOptions { Policy = BackpressurePolicy.DropNewest, BufferSize = 2 });
        await Send(op, 0);
        await FlowTestData.Eventually(() => _output.Waiting == 1);
        await Send(op, 1);
        await Send(op, 2);
        var refused = await Send(op, 3);

        Assert.Equal(10, (await refused.Completion).RefusedItems);
        _output.Open();
        await op.FlushAsync(_output, CancellationToken.None);
        Assert.Equal(Expected(0, 1, 2), _output.Emitted.SelectMany(FlowTestData.Names));
    }

    [Fact]
    public async Task Drop_oldest_makes_room_by_dropping_the_oldest_buffered_batch()
    {
        var op = await Start(new BackpressureOptions { Policy = BackpressurePolicy.DropOldest, BufferSize = 2 });
        var first = await Send(op, 0);
        await FlowTestData.Eventually(() => _output.Waiting == 1);
        var oldest = await Send(op, 1);
        await Send(op, 2);
        await Send(op, 3);

        Assert.Equal(10, (await oldest.Completion).RefusedItems);
        _output.Open();
        await op.FlushAsync(_output, CancellationToken.None);
        Assert.Equal(Expected(0, 2, 3), _output.Emitted.SelectMany(FlowTestData.Names));
        Assert.Equal(0, (await first.Completion).RefusedItems);
    }

    [Fact]
    public async Task Spill_stays_within_its_disk_budget_while_the_sink_is_stalled_and_replays_everything_in_order()
    {
        var budget = ByteSize.FromKiB(8);
        var op = await Start(new BackpressureOptions { Policy = BackpressurePolicy.Spill, BufferSize = 2, SpillPath = _dir.Path, SpillBudget = budget });
        var trackers = new List<AcknowledgementTracker> { await Send(op, 0) };
        await FlowTestData.Eventually(() => _output.Waiting == 1);

        // Fill memory, then disk up to the budget; the next batch finds no room anywhere and waits.
        Task<AcknowledgementTracker> pending;
        var index = 1;
        while (true)
        {
            pending = Send(op, index++);
            Assert.True(DiskBytes() <= budget.Bytes, $"{DiskBytes()} bytes on disk");
            if (!pending.IsCompleted)
            {
                break;
            }

            trackers.Add(await pending);
        }

        Assert.True(op.Spilled >= 10, $"only {op.Spilled} spilled");
        Assert.Equal(2, op.BufferedInMemory);

        // The sink resumes: everything arrives, in arrival order, and the spill files are gone.
        _output.Open();
        trackers.Add(await pending);
        for (var i = 0; i < 5; i++)
        {
            trackers.Add(await Send(op, index++));
        }

        await op.FlushAsync(_output, CancellationToken.None);
        Assert.Equal(Expected([.. Enumerable.Range(0, index)]), _output.Emitted.SelectMany(FlowTestData.Names));
        foreach (var tracker in trackers)
        {
            Assert.True((await tracker.Completion).Succeeded);
        }

        Assert.Equal(0, op.SpilledBytes);
        Assert.Equal(0, DiskBytes());
        await op.DisposeAsync();
    }

    [Fact]
    public async Task Spilled_batches_keep_their_tenant_and_metadata()
    {
        var op = await Start(new BackpressureOptions { Policy = BackpressurePolicy.Spill, BufferSize = 1, SpillPath = _dir.Path });
        await Send(op, 0);
        await FlowTestData.Eventually(() => _output.Waiting == 1);
        await Send(op, 1);
        var (batch, _) = FlowTestData.Batch(3, tenant: "acme", metadata: new Dictionary<string, string> { ["x-region"] = "eu" });
        await op.ProcessAsync(batch, _output, CancellationToken.None);
        Assert.Equal(1, op.Spilled);

        _output.Open();
        await op.FlushAsync(_output, CancellationToken.None);
        var replayed = _output.Emitted[^1];
        Assert.Equal("acme", replayed.Context.Tenant);
        Assert.Equal("eu", replayed.Context.Metadata["x-region"]);
        Assert.Equal(batch.Payload, replayed.Payload);
    }

    private long DiskBytes() => Directory.Exists(_dir.Path) ? Directory.EnumerateFiles(_dir.Path).Sum(f => new FileInfo(f).Length) : 0;
}
