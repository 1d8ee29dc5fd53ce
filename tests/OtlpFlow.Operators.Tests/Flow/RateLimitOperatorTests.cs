using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Tests.Flow;

public sealed class RateLimitOperatorTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly RecordingOutput _output = new();

    private TokenBucketOperator Bucket(double rate, double burst, RateLimitAction onLimit, string? key = null, RateLimitUnit unit = RateLimitUnit.Items, SplitRemainder remainder = SplitRemainder.Drop, int maxPartitions = 100)
    {
        var op = new TokenBucketOperator(
            new TokenBucketOptions { Rate = rate, Burst = burst, OnLimit = onLimit, Key = key, Unit = unit, SplitRemainder = remainder, MaxPartitions = maxPartitions, PartitionIdleTimeout = TimeSpan.FromMinutes(1) },
            TestOperatorContext.Create(timeProvider: _time));
        return op;
    }

    /// <summary>Runs one batch the way the engine does: the input's share is released after the call unless passed on.</summary>
    private async Task Run(ProcessorOperator op, TelemetryBatch batch)
    {
        await op.ProcessAsync(batch, _output, CancellationToken.None);
        if (!_output.Emitted.Any(e => ReferenceEquals(e.Batch, batch)))
        {
            batch.Ack.Deliver();
        }
    }

    [Fact]
    public async Task Drop_passes_what_the_bucket_allows_and_drops_the_rest_to_the_dropped_port()
    {
        var op = Bucket(rate: 100, burst: 100, RateLimitAction.Drop);
        var (first, _) = FlowTestData.Batch(60);
        var (second, refused) = FlowTestData.Batch(60);
        await Run(op, first);
        await Run(op, second);

        Assert.Same(first, Assert.Single(_output.On()));
        Assert.Same(second, Assert.Single(_output.On(IOperatorOutput.DroppedPort)));
        Assert.Equal(60, _output.Dropped[RateLimitOperator.DropReason]);

        _time.Advance(TimeSpan.FromSeconds(1));
        await Run(op, FlowTestData.Batch(60).Batch);
        Assert.Equal(2, _output.On().Count);
    }

    [Fact]
    public async Task A_dropped_batch_settles_its_request_as_refused()
    {
        var op = Bucket(rate: 10, burst: 10, RateLimitAction.Drop);
        await Run(op, FlowTestData.Batch(10).Batch);
        var (batch, tracker) = FlowTestData.Batch(5);
        var context = TestOperatorContext.Create(timeProvider: _time);
        var unlinked = new UnlinkedOutput();
        await op.ProcessAsync(batch, unlinked, CancellationToken.None);

        var result = await tracker.Completion;
        Assert.True(result.Succeeded);
        Assert.Equal(5, result.RefusedItems);
    }

    [Fact]
    public async Task Wait_holds_a_batch_until_the_bucket_has_refilled_enough()
    {
        var op = Bucket(rate: 100, burst: 100, RateLimitAction.Wait);
        await Run(op, FlowTestData.Batch(100).Batch);
        var waiting = Run(op, FlowTestData.Batch(50).Batch);

        _time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(waiting.IsCompleted);
        Assert.Single(_output.On());

        _time.Advance(TimeSpan.FromMilliseconds(1));
        await waiting;
        Assert.Equal(2, _output.On().Count);
        Assert.Empty(_output.Dropped);
    }

    [Fact]
    public async Task Split_passes_the_part_that_fits_and_drops_the_remainder()
    {
        var op = Bucket(rate: 100, burst: 100, RateLimitAction.Split);
        await Run(op, FlowTestData.Batch(70).Batch);
        var (batch, tracker) = FlowTestData.Batch(50, firstSpan: 1000);
        await Run(op, batch);

        var passed = _output.On();
        Assert.Equal(2, passed.Count);
        Assert.Equal(30, passed[1].ItemCount);
        Assert.Equal(Enumerable.Range(1000, 30).Select(i => "s" + i), FlowTestData.Names(passed[1]));
        Assert.Equal(20, _output.Dropped[RateLimitOperator.DropReason]);

        // The request is answered once its pieces are: the passed piece is still in flight.
        Assert.False(tracker.Completion.IsCompleted);
        passed[1].Ack.Deliver();
        SettleDropped();
        Assert.Equal(20, (await tracker.Completion).RefusedItems);
    }

    [Fact]
    public async Task Split_with_a_waiting_remainder_sends_the_rest_once_it_fits()
    {
        var op = Bucket(rate: 100, burst: 100, RateLimitAction.Split, remainder: SplitRemainder.Wait);
        await Run(op, FlowTestData.Batch(70).Batch);
        var running = Run(op, FlowTestData.Batch(50, firstSpan: 1000).Batch);
        await FlowTestData.Eventually(() => _output.On().Count == 2);
        Assert.Equal(30, _output.On()[1].ItemCount);

        _time.Advance(TimeSpan.FromMilliseconds(200));
        await running;
        Assert.Equal(20, _output.On()[2].ItemCount);
        Assert.Equal(Enumerable.Range(1030, 20).Select(i => "s" + i), FlowTestData.Names(_output.On()[2]));
        Assert.Empty(_output.Dropped);
    }

    [Fact]
    public async Task Each_tenant_has_its_own_limit()
    {
        var op = Bucket(rate: 10, burst: 10, RateLimitAction.Drop, key: "tenant");
        await Run(op, FlowTestData.Batch(10, tenant: "a").Batch);
        await Run(op, FlowTestData.Batch(10, tenant: "a").Batch);
        await Run(op, FlowTestData.Batch(10, tenant: "b").Batch);

        Assert.Equal(["a", "b"], _output.On().Select(b => b.Context.Tenant));
        Assert.Equal(10, _output.ItemsDropped);
        Assert.Equal(2, op.PartitionCount);
    }

    [Fact]
    public async Task A_batch_from_two_services_is_limited_per_service()
    {
        var op = Bucket(rate: 10, burst: 10, RateLimitAction.Drop, key: "service");
        await Run(op, FlowTestData.Batch(10, service: "checkout").Batch);
        var request = FlowTestData.Request(5, "checkout");
        request.ResourceSpans.Add(FlowTestData.Request(5, "cart").ResourceSpans[0]);
        var (share, tracker) = Acknowledgement.Create();
        await Run(op, TelemetryBatch.Create(request, ack: share));

        // checkout's bucket is empty, cart's is full: the batch is cut by service.
        var passed = _output.On();
        Assert.Equal(2, passed.Count);
        Assert.Equal(5, passed[1].ItemCount);
        Assert.Equal("cart", passed[1].Traces!.ResourceSpans[0].Resource.Attributes[0].Value.StringValue);
        Assert.Equal(5, _output.Dropped[RateLimitOperator.DropReason]);
        passed[1].Ack.Deliver();
        SettleDropped();
        Assert.Equal(5, (await tracker.Completion).RefusedItems);
    }

    [Fact]
    public async Task Live_partitions_are_bounded_and_idle_ones_are_evicted()
    {
        var op = Bucket(rate: 10, burst: 10, RateLimitAction.Drop, key: "tenant", maxPartitions: 2);
        await Run(op, FlowTestData.Batch(10, tenant: "a").Batch);
        await Run(op, FlowTestData.Batch(10, tenant: "b").Batch);

        // c and d arrive while a and b are busy: they share the overflow limit.
        await Run(op, FlowTestData.Batch(10, tenant: "c").Batch);
        await Run(op, FlowTestData.Batch(10, tenant: "d").Batch);
        Assert.Equal(2, op.PartitionCount);
        Assert.Equal(["a", "b", "c"], _output.On().Select(b => b.Context.Tenant));

        _time.Advance(TimeSpan.FromMinutes(1));
        await Run(op, FlowTestData.Batch(10, tenant: "e").Batch);
        Assert.Equal(1, op.PartitionCount);
        Assert.Equal("e", _output.On()[^1].Context.Tenant);
    }

    [Fact]
    public async Task Counting_batches_ignores_their_size()
    {
        var op = Bucket(rate: 2, burst: 2, RateLimitAction.Drop, unit: RateLimitUnit.Batches);
        await Run(op, FlowTestData.Batch(1000).Batch);
        await Run(op, FlowTestData.Batch(1000).Batch);
        await Run(op, FlowTestData.Batch(1).Batch);
        Assert.Equal(2, _output.On().Count);
    }

    [Fact]
    public async Task Counting_bytes_uses_the_encoded_size()
    {
        var (batch, _) = FlowTestData.Batch(10);
        var op = Bucket(rate: batch.SizeBytes * 1.5, burst: batch.SizeBytes * 1.5, RateLimitAction.Drop, unit: RateLimitUnit.Bytes);
        await Run(op, batch);
        await Run(op, FlowTestData.Batch(10).Batch);
        Assert.Single(_output.On());
    }

    [Fact]
    public async Task The_leaky_bucket_lets_queued_batches_out_at_the_rate_without_a_burst()
    {
        var op = new LeakyBucketOperator(new LeakyBucketOptions { Rate = 100, Capacity = 200, OnLimit = RateLimitAction.Drop }, TestOperatorContext.Create(timeProvider: _time));
        await Run(op, FlowTestData.Batch(50).Batch);
        var second = Run(op, FlowTestData.Batch(50).Batch);
        Assert.False(second.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(500));
        await second;
        Assert.Equal(2, _output.On().Count);

        // 50 queued now and 200 of room: 160 more would overflow the queue.
        await Run(op, FlowTestData.Batch(160).Batch);
        Assert.Equal(160, _output.ItemsDropped);
    }

    [Fact]
    public async Task The_sliding_window_drops_past_the_limit_until_segments_slide_out()
    {
        var op = new SlidingWindowOperator(new SlidingWindowOptions { Rate = 100, Window = TimeSpan.FromSeconds(1), Segments = 4, OnLimit = RateLimitAction.Drop }, TestOperatorContext.Create(timeProvider: _time));
        await Run(op, FlowTestData.Batch(100).Batch);
        await Run(op, FlowTestData.Batch(1).Batch);
        Assert.Equal(1, _output.ItemsDropped);
        _time.Advance(TimeSpan.FromSeconds(1));
        await Run(op, FlowTestData.Batch(100).Batch);
        Assert.Equal(2, _output.On().Count);
    }

    [Fact]
    public void A_bad_key_is_reported_with_the_forms_it_accepts()
    {
        var errors = new List<OtlpFlow.Engine.Options.OptionError>();
        var bound = OtlpFlow.Engine.Options.OptionsBinder.Bind(typeof(TokenBucketOptions), new System.Text.Json.Nodes.JsonObject { ["key"] = "tenantt" }, errors);
        Assert.Null(bound);
        var error = Assert.Single(errors);
        Assert.Equal("key", error.Key);
        Assert.Contains("tenant, service, traceId", error.Message, StringComparison.Ordinal);
    }

    /// <summary>What the engine does with dropped batches when nothing reads the dropped port.</summary>
    private void SettleDropped()
    {
        foreach (var dropped in _output.On(IOperatorOutput.DroppedPort))
        {
            dropped.Ack.Refuse(dropped.ItemCount, RateLimitOperator.DropReason);
        }
    }

    /// <summary>An output with nothing linked to its ports, like an operator whose dropped port is unused.</summary>
    private sealed class UnlinkedOutput : IOperatorOutput
    {
        public ValueTask EmitAsync(TelemetryBatch batch, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask EmitAsync(string port, TelemetryBatch batch, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask DropAsync(TelemetryBatch batch, string reason, CancellationToken cancellationToken = default)
        {
            batch.Ack.Refuse(batch.ItemCount, reason);
            return ValueTask.CompletedTask;
        }

        public void CountDropped(long items, string reason)
        {
        }

        public void CountReturned(long items)
        {
        }

        public bool IsLinked(string port) => false;
    }
}
