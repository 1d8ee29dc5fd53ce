using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Resilience;

namespace OtlpFlow.Operators.Tests.Resilience;

public sealed class FailoverOperatorTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Random _random = new(1);
    private OperatorHarness? _harness;

    private FailoverOperator Operator => (FailoverOperator)_harness!.Operator;

    private HarnessOutput Primary => _harness!.Output("primary");

    private HarnessOutput Secondary => _harness!.Output("secondary");

    private async Task<OperatorHarness> StartAsync(int consecutiveFailures = 1)
    {
        _harness = await OperatorHarness.CreateAsync(
            [typeof(FailoverOperator).Assembly],
            "resilience.failover",
            $$"""{ "targets": ["primary", "secondary"], "breaker": { "consecutiveFailures": {{consecutiveFailures}}, "failureRatio": 0, "breakFor": "10s" } }""",
            new OperatorHarnessOptions { OperatorId = "fo", TimeProvider = _time });
        return _harness;
    }

    private Task<AcknowledgementResult> Send() => _harness!.SendAsync(ResilienceTestData.Batch(5, _random).Batch);

    private static Action<TelemetryBatch> Down(string message) => _ => throw new InvalidOperationException(message);

    [Fact]
    public async Task Batches_go_to_the_first_target_and_the_request_completes_when_it_acknowledges()
    {
        await using var harness = await StartAsync();
        Primary.Hold();
        var ack = Send();

        await Poll.UntilAsync(() => Primary.HeldBatches == 1, "the batch at the primary");
        Assert.False(ack.IsCompleted); // held until the target settles
        Primary.Release();

        Assert.True((await ack).Succeeded);
        Assert.Single(Primary.Batches);
        Assert.Empty(Secondary.Batches);
        Assert.Equal(5, Operator.Statistics.DeliveredItems);
        await harness.CompleteAsync();
        harness.AssertConserved();
    }

    [Fact]
    public async Task A_batch_the_primary_fails_is_resent_to_the_secondary_and_nothing_is_lost()
    {
        await using var harness = await StartAsync(consecutiveFailures: 3);
        Primary.Answer = Down("peer down");
        Secondary.Hold();
        var ack = Send();

        await Poll.UntilAsync(() => Secondary.HeldBatches == 1, "the re-send");
        Assert.False(ack.IsCompleted);
        Secondary.Release();

        Assert.True((await ack).Succeeded);
        Assert.Single(Primary.Batches);
        Assert.Single(Secondary.Batches);
        Assert.Equal(1, Operator.Statistics.Resent);
        Assert.Equal(CircuitState.Closed, Operator.Breakers[0].State); // one failure of three
        await harness.CompleteAsync();
        harness.AssertConserved();
    }

    [Fact]
    public async Task When_the_primary_breaker_opens_traffic_fails_over_and_fails_back_after_a_successful_probe()
    {
        await using var harness = await StartAsync(consecutiveFailures: 1);
        var changes = new List<TargetChange>();
        using var subscription = Operator.TargetChanges.Subscribe(changes.Add);

        Primary.Answer = Down("peer down");
        Assert.True((await Send()).Succeeded);
        Assert.Single(Secondary.Batches);
        Assert.Equal(CircuitState.Open, Operator.Breakers[0].State);

        // While the primary is open, new batches go straight to the secondary.
        Assert.True((await Send()).Succeeded);
        Assert.Equal(2, Secondary.Batches.Count);
        Assert.Single(Primary.Batches);
        Assert.Equal("secondary", Operator.PreferredTarget);

        // After the break a batch probes the primary; its success closes the breaker and traffic returns.
        Primary.Answer = null;
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.True((await Send()).Succeeded);
        Assert.Equal(2, Primary.Batches.Count);
        Assert.Equal(CircuitState.Closed, Operator.Breakers[0].State);
        Assert.True((await Send()).Succeeded);
        Assert.Equal(3, Primary.Batches.Count);
        Assert.Equal(2, Secondary.Batches.Count);
        Assert.Equal("primary", Operator.PreferredTarget);

        Assert.Equal([("primary", "secondary", false), ("secondary", "primary", true)], changes.Select(c => (c.From, c.To, c.FailBack)));
        await harness.CompleteAsync();
        harness.AssertConserved();
    }

    [Fact]
    public async Task When_every_target_refuses_the_batch_waits_and_is_sent_once_one_recovers()
    {
        await using var harness = await StartAsync(consecutiveFailures: 1);
        var primaryFailures = 0;
        Primary.Answer = _ =>
        {
            if (Interlocked.Increment(ref primaryFailures) == 1)
            {
                throw new InvalidOperationException("primary down");
            }
        };
        Secondary.Answer = Down("secondary down");
        var ack = Send();
        await Poll.UntilAsync(() => Secondary.Batches.Count == 1, "the re-send");

        // Both breakers open: the batch waits for a break to end, then probes the primary, which is back.
        await Poll.UntilAsync(() => Operator.Breakers[1].State == CircuitState.Open, "the secondary's breaker to open");
        Assert.Equal(CircuitState.Open, Operator.Breakers[0].State);
        await Poll.UntilAsync(() => Primary.Batches.Count == 2 || Advance(), "the probe to the primary");

        Assert.True((await ack).Succeeded);
        Assert.Equal(2, Operator.Statistics.Resent);
        await harness.CompleteAsync();
        harness.AssertConserved();
    }

    [Fact]
    public async Task A_partial_refusal_by_the_target_reaches_the_client_and_is_not_resent()
    {
        await using var harness = await StartAsync();
        Primary.Answer = batch => batch.Ack.AddShare().Refuse(2, "rejected by the peer");

        var result = await Send();
        Assert.True(result.Succeeded);
        Assert.Equal(2, result.RefusedItems);
        Assert.Empty(Secondary.Batches);
        await harness.CompleteAsync();
        harness.AssertConserved();
    }

    [Fact]
    public async Task Flush_waits_until_every_batch_is_acknowledged_re_sending_what_fails_meanwhile()
    {
        await using var harness = await StartAsync();
        Primary.Hold();
        Primary.Answer = Down("peer down");
        var ack = Send();
        await Poll.UntilAsync(() => Primary.HeldBatches == 1, "the batch at the primary");

        // The drain starts while the primary still holds the batch; the primary then fails it, and
        // the failover, still flushing, sends it to the secondary before its outputs complete.
        var complete = harness.CompleteAsync();
        Primary.Release();
        await complete;

        Assert.True((await ack).Succeeded);
        Assert.Single(Secondary.Batches);
        harness.AssertConserved();
    }

    [Fact]
    public async Task Stopping_fails_what_no_target_accepted()
    {
        var harness = await StartAsync();
        Primary.Hold();
        var ack = Send();
        await Poll.UntilAsync(() => Primary.HeldBatches == 1, "the batch at the primary");

        // A stop without drain time abandons the batch at the primary, then disposes the failover.
        await harness.Pipeline.StopAsync(TimeSpan.Zero);
        await harness.DisposeAsync();

        var result = await ack;
        Assert.False(result.Succeeded);
        Assert.Equal(5, Operator.Statistics.FailedItems);
    }

    private bool Advance()
    {
        _time.Advance(TimeSpan.FromSeconds(1));
        return false;
    }
}
