using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Tests.Flow;

public sealed class FairSchedulerOperatorTests
{
    /// <summary>
    /// A harness whose output edge holds one batch: with the output held, the sink waits with one
    /// batch and the scheduler's tick waits to hand over the next, so everything else stays queued.
    /// </summary>
    private static Task<OperatorHarness> Create(string optionsJson) =>
        OperatorHarness.CreateAsync(new OperatorRegistry().AddAssembly(typeof(FairSchedulerOperator).Assembly), "schedule.fair", optionsJson,
            new OperatorHarnessOptions { OutputCapacity = 1 });

    private static FairSchedulerOperator Scheduler(OperatorHarness harness) => (FairSchedulerOperator)harness.Operator;

    /// <summary>Sends batches one after another, each call returned before the next send, and returns their acknowledgements.</summary>
    private static async Task<List<Task<AcknowledgementResult>>> Offer(OperatorHarness harness, string tenant, int batches, int size = 10)
    {
        var acks = new List<Task<AcknowledgementResult>>();
        for (var i = 0; i < batches; i++)
        {
            var (batch, _) = FlowTestData.Batch(size, tenant: tenant);
            acks.Add(harness.SendAsync(batch));
            await harness.WhenIdleAsync();
        }

        return acks;
    }

    /// <summary>Waits until the batch sent first is held at the sink: the next one the tick takes waits behind it.</summary>
    private static async Task HoldFirst(OperatorHarness harness, string tenant)
    {
        harness.Output().Hold();
        await Offer(harness, tenant, 1);
        await Poll.UntilAsync(() => harness.Output().HeldBatches == 1, "the first batch held at the sink");
    }

    /// <summary>Waits until every batch sent is queued, except the two on their way out (held at the sink, and waiting behind it).</summary>
    private static Task AllQueued(OperatorHarness harness, int sent) =>
        Poll.UntilAsync(() => harness.Counters.BatchesIn == sent && Scheduler(harness).Queued == sent - 2, "all but two batches queued in the scheduler");

    private static Dictionary<string, long> ItemsByTenant(IEnumerable<TelemetryBatch> batches) =>
        batches.GroupBy(b => b.Context.Tenant!).ToDictionary(g => g.Key, g => g.Sum(b => (long)b.ItemCount));

    [Fact]
    public async Task Two_tenants_offering_ten_to_one_get_equal_shares_of_a_slow_output()
    {
        await using var harness = await Create("""{ "quantum": 10, "queueCapacity": 1000 }""");
        await HoldFirst(harness, "noisy");
        await Offer(harness, "noisy", 9);
        await Offer(harness, "quiet", 1);
        for (var round = 1; round < 20; round++)
        {
            await Offer(harness, "noisy", 10);
            await Offer(harness, "quiet", 1);
        }

        await AllQueued(harness, 220);
        harness.Output().Release();
        await harness.CompleteAsync();

        // The two batches taken before the rest arrived aside, the queues share the output equally
        // while both have data; once the quiet tenant has nothing left, the noisy one has all of it.
        var emitted = harness.Output().Batches;
        Assert.Equal(220, emitted.Count);
        var shares = ItemsByTenant(emitted.Skip(2).Take(40));
        Assert.InRange((double)shares["quiet"] / shares["noisy"], 0.9, 1.1);
        Assert.All(emitted.Skip(60), b => Assert.Equal("noisy", b.Context.Tenant));
        harness.AssertConserved();
    }

    [Fact]
    public async Task Weights_divide_the_output_in_their_ratio()
    {
        await using var harness = await Create("""{ "quantum": 10, "queueCapacity": 1000, "weights": { "gold": 3 } }""");
        await HoldFirst(harness, "gold");
        await Offer(harness, "gold", 99);
        await Offer(harness, "basic", 100);

        await AllQueued(harness, 200);
        harness.Output().Release();
        await harness.CompleteAsync();

        var shares = ItemsByTenant(harness.Output().Batches.Skip(2).Take(80));
        Assert.InRange((double)shares["gold"] / shares["basic"], 2.7, 3.3);
        harness.AssertConserved();
    }

    [Fact]
    public async Task A_full_queue_drops_the_newest_of_that_key_only_when_asked()
    {
        await using var harness = await Create("""{ "queueCapacity": 2, "onFull": "dropNewest" }""");
        await HoldFirst(harness, "a");
        await Offer(harness, "a", 1);
        await AllQueued(harness, 2); // the second one waits behind the first: both queues are empty
        var a = await Offer(harness, "a", 5);
        var b = await Offer(harness, "b", 2);
        await harness.WhenIdleAsync();

        // Key a's queue holds two: its last three are dropped, counted, and refused to their clients;
        // key b is not held up by a.
        var dropped = harness.Output(IOperatorOutput.DroppedPort).Batches;
        Assert.Equal(3, dropped.Count);
        Assert.All(dropped, d => Assert.Equal("a", d.Context.Tenant));
        Assert.Equal(30, harness.Counters.DroppedByReason[KeyedQueueOperator.DropReason]);
        foreach (var ack in a[2..])
        {
            Assert.Equal(10, (await ack.WaitAsync(Poll.DefaultTimeout)).RefusedItems);
        }

        harness.Output().Release();
        await harness.CompleteAsync();
        Assert.Equal(6, harness.Output().Batches.Count);
        foreach (var ack in a[..2].Concat(b))
        {
            Assert.Equal(0, (await ack).RefusedItems);
        }

        Assert.Equal(0, Scheduler(harness).Keys);
        harness.AssertConserved();
    }

    [Fact]
    public async Task In_a_pipeline_a_noisy_tenant_cannot_take_more_than_half_of_a_slow_sink()
    {
        using var gate = new SinkGate();
        var registry = RateLimitPipelineTests.Registry()
            .AddOperator<TenantSource, TenantSourceOptions>("test.tenant")
            .AddOperator<GateSink>("test.gate");
        var services = new ServicesOf(gate);
        await using var pipeline = new PipelineBuilder(registry, services).Build(PipelineLoader.Parse("""
        { "operators": {
            "noisy": { "type": "test.tenant", "tenant": "noisy", "batches": 500 },
            "quiet": { "type": "test.tenant", "tenant": "quiet", "batches": 50 },
            "fair":  { "type": "schedule.fair", "inputs": ["noisy", "quiet"], "quantum": 10, "queueCapacity": 1000 },
            "sink":  { "type": "test.gate", "inputs": ["fair"], "capacity": 1 } } }
        """));
        await pipeline.StartAsync();

        // The sink holds none until the gate opens, so the scheduler sends at most two batches early (the one the
        // sink waits with and the one offered to its full capacity-1 input), maybe before the quiet tenant's first
        // batch arrived. Everything else must be in the scheduler's queues, not merely offered to it: "fair" counts
        // a batch in when it is offered to its input block, before the block hands it to the scheduler. Sent is
        // read before queued so that a batch taken between the two reads is not counted twice.
        var fair = (FairSchedulerOperator)pipeline.Operators["fair"];
        await FlowTestData.Eventually(
            () =>
            {
                var sent = pipeline.Counters["fair"].BatchesOut;
                return sent + fair.Queued == 550;
            },
            "all 550 batches queued in the scheduler or sent on");
        Assert.InRange(pipeline.Counters["fair"].BatchesOut, 0, 2);

        gate.Allow(100);
        await FlowTestData.Eventually(() => gate.Received.Count == 100);
        var quiet = gate.Received.Count(b => b.Context.Tenant == "quiet");
        var noisy = gate.Received.Count(b => b.Context.Tenant == "noisy");
        Assert.InRange((double)quiet / noisy, 0.9, 1.1);

        gate.Allow(10000);
        await pipeline.Completion;
        Assert.Equal(5500, pipeline.Counters["sink"].ItemsOut);
        Assert.True(pipeline.Counters["fair"].Balanced);
    }

    [Fact]
    public void A_non_positive_weight_is_a_validation_error()
    {
        var errors = new List<OtlpFlow.Engine.Options.OptionError>();
        OtlpFlow.Engine.Options.OptionsBinder.Bind(typeof(FairSchedulerOptions), new System.Text.Json.Nodes.JsonObject { ["weights"] = new System.Text.Json.Nodes.JsonObject { ["a"] = 0 } }, errors);
        Assert.Contains("weight of 'a'", Assert.Single(errors).Message, StringComparison.Ordinal);
    }
}
