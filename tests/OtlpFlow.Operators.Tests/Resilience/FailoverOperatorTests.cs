using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Operators.Resilience;

namespace OtlpFlow.Operators.Tests.Resilience;

public sealed class FailoverOperatorTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Random _random = new(1);

    private async Task<(FailoverOperator Operator, RecordingOutput Output)> StartAsync(int consecutiveFailures = 1)
    {
        var options = new FailoverOptions
        {
            Breaker = new CircuitBreakerOptions { ConsecutiveFailures = consecutiveFailures, FailureRatio = 0, BreakFor = TimeSpan.FromSeconds(10) },
        };
        var op = new FailoverOperator(options, TestOperatorContext.Create("fo", timeProvider: _time));
        var output = new RecordingOutput();
        op.AttachOutput(output);
        await op.StartAsync(CancellationToken.None);
        return (op, output);
    }

    private async Task<AcknowledgementTracker> SendAsync(FailoverOperator op, RecordingOutput output)
    {
        var (batch, tracker) = ResilienceTestData.Batch(5, _random);
        await op.ProcessAsync(batch, output, CancellationToken.None);
        batch.Ack.Deliver(); // what the engine does once the call returns
        return tracker;
    }

    [Fact]
    public async Task Batches_go_to_the_first_target_and_the_request_completes_when_it_acknowledges()
    {
        var (op, output) = await StartAsync();
        await using var _ = op;
        var tracker = await SendAsync(op, output);

        var sent = Assert.Single(output.On("primary"));
        Assert.False(tracker.Completion.IsCompleted); // held until the target settles
        sent.Ack.Deliver();

        Assert.True((await tracker.Completion).Succeeded);
        Assert.Equal(5, op.Statistics.DeliveredItems);
    }

    [Fact]
    public async Task A_batch_the_primary_fails_is_resent_to_the_secondary_and_nothing_is_lost()
    {
        var (op, output) = await StartAsync(consecutiveFailures: 3);
        await using var _ = op;
        var tracker = await SendAsync(op, output);
        output.On("primary")[0].Ack.Fail(5, new InvalidOperationException("peer down"));

        await Poll.UntilAsync(() => output.On("secondary").Count == 1, "the re-send");
        Assert.False(tracker.Completion.IsCompleted);
        output.On("secondary")[0].Ack.Deliver();

        Assert.True((await tracker.Completion).Succeeded);
        Assert.Equal(1, op.Statistics.Resent);
        Assert.Equal(CircuitState.Closed, op.Breakers[0].State); // one failure of three
    }

    [Fact]
    public async Task When_the_primary_breaker_opens_traffic_fails_over_and_fails_back_after_a_successful_probe()
    {
        var (op, output) = await StartAsync(consecutiveFailures: 1);
        await using var _ = op;
        var changes = new List<TargetChange>();
        using var subscription = op.TargetChanges.Subscribe(changes.Add);

        await SendAsync(op, output);
        output.On("primary")[0].Ack.Fail(5, new InvalidOperationException("peer down"));
        await Poll.UntilAsync(() => output.On("secondary").Count == 1, "the re-send");
        Assert.Equal(CircuitState.Open, op.Breakers[0].State);

        // While the primary is open, new batches go straight to the secondary.
        await SendAsync(op, output);
        Assert.Equal(2, output.On("secondary").Count);
        Assert.Equal("secondary", op.PreferredTarget);

        // After the break a batch probes the primary; its success closes the breaker and traffic returns.
        _time.Advance(TimeSpan.FromSeconds(10));
        await SendAsync(op, output);
        Assert.Equal(2, output.On("primary").Count);
        output.On("primary")[1].Ack.Deliver();
        Assert.Equal(CircuitState.Closed, op.Breakers[0].State);
        await SendAsync(op, output);
        Assert.Equal(3, output.On("primary").Count);
        Assert.Equal("primary", op.PreferredTarget);

        Assert.Equal([("primary", "secondary", false), ("secondary", "primary", true)], changes.Select(c => (c.From, c.To, c.FailBack)));
    }

    [Fact]
    public async Task When_every_target_refuses_the_batch_waits_and_is_sent_once_one_recovers()
    {
        var (op, output) = await StartAsync(consecutiveFailures: 1);
        await using var _ = op;
        var tracker = await SendAsync(op, output);
        output.On("primary")[0].Ack.Fail(5, new InvalidOperationException("primary down"));
        await Poll.UntilAsync(() => output.On("secondary").Count == 1, "the re-send");
        output.On("secondary")[0].Ack.Fail(5, new InvalidOperationException("secondary down"));

        // Both breakers are open: the batch waits for a break to end, then probes the primary.
        Assert.Equal(CircuitState.Open, op.Breakers[1].State);
        await Poll.UntilAsync(() => output.On("primary").Count == 2 || Advance(), "the probe to the primary");
        output.On("primary")[1].Ack.Deliver();
        Assert.True((await tracker.Completion).Succeeded);
        Assert.Equal(2, op.Statistics.Resent);
    }

    [Fact]
    public async Task A_partial_refusal_by_the_target_reaches_the_client_and_is_not_resent()
    {
        var (op, output) = await StartAsync();
        await using var _ = op;
        var tracker = await SendAsync(op, output);
        var sent = output.On("primary")[0];
        sent.Ack.AddShare().Refuse(2, "rejected by the peer");
        sent.Ack.Deliver();

        var result = await tracker.Completion;
        Assert.True(result.Succeeded);
        Assert.Equal(2, result.RefusedItems);
        Assert.Empty(output.On("secondary"));
    }

    [Fact]
    public async Task Flush_waits_until_every_batch_is_acknowledged()
    {
        var (op, output) = await StartAsync();
        await using var _ = op;
        await SendAsync(op, output);
        var flush = op.FlushAsync(output, CancellationToken.None).AsTask();
        Assert.False(flush.IsCompleted);

        output.On("primary")[0].Ack.Deliver();
        await flush;
    }

    [Fact]
    public async Task Stopping_fails_what_no_target_accepted()
    {
        var (op, output) = await StartAsync();
        var tracker = await SendAsync(op, output);
        await op.DisposeAsync();

        var result = await tracker.Completion;
        Assert.False(result.Succeeded);
        Assert.Equal(5, op.Statistics.FailedItems);
    }

    private bool Advance()
    {
        _time.Advance(TimeSpan.FromSeconds(1));
        return false;
    }
}
