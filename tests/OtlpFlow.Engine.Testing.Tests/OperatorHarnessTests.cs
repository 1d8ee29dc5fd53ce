using System.Reflection;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Engine.Testing.Tests;

public class OperatorHarnessTests
{
    // This assembly's operators stand for a plugin's; BatchOperator's assembly for the built-in ones.
    private static readonly Assembly[] Plugins = [typeof(OperatorHarnessTests).Assembly, typeof(BatchOperator).Assembly];

    private static Task<OperatorHarness> Create(string type, string options = "{}", OperatorHarnessOptions? harness = null) =>
        OperatorHarness.CreateAsync(Plugins, type, options, harness);

    [Fact]
    public async Task Option_errors_are_those_of_validate_located_in_the_options_text()
    {
        const string options = """
            {
              "size": 0,
              "timeot": "1s"
            }
            """;
        var error = await Assert.ThrowsAsync<PipelineValidationException>(() => Create("batch", options));

        // The same operator in a pipeline file, checked as `otlpflow validate` checks it.
        var registry = new OperatorRegistry();
        foreach (var assembly in Plugins)
        {
            registry.AddAssembly(assembly);
        }

        var file = PipelineLoader.Parse("""
            {
              "operators": {
                "in": { "type": "generate", "signal": "traces" },
                "test": { "type": "batch", "inputs": ["in"], "size": 0, "timeot": "1s" },
                "out": { "type": "debug", "inputs": ["test"] }
              }
            }
            """);
        var validate = new PipelineBuilder(registry).Validate(file);

        Assert.NotEmpty(validate);
        Assert.Equal(validate.Select(e => (e.OperatorId, e.JsonPath, e.Message)), error.Errors.Select(e => (e.OperatorId, e.JsonPath, e.Message)));
        var unknown = Assert.Single(error.Errors, e => e.Message.Contains("timeot", StringComparison.Ordinal));
        Assert.Contains("did you mean 'timeout'", unknown.Message, StringComparison.Ordinal);
        Assert.Equal((3, 3), (unknown.Line, unknown.Column)); // where "timeot" is in the options text
    }

    [Fact]
    public async Task An_unknown_type_is_reported_with_the_nearest_name()
    {
        var error = await Assert.ThrowsAsync<PipelineValidationException>(() => Create("test.splitt"));

        var only = Assert.Single(error.Errors);
        Assert.Equal("unknown operator type 'test.splitt'; did you mean 'test.split'?", only.Message);
    }

    [Fact]
    public async Task An_operator_that_derives_and_emits_is_conserved_and_its_requests_delivered()
    {
        await using var harness = await Create("test.split");

        var results = await Task.WhenAll(harness.SendAsync(Requests.Traces(3)), harness.SendAsync(Requests.Traces(2)));

        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.All(results, r => Assert.Equal(0, r.RefusedItems));
        Assert.Equal(5, harness.Output().Batches.Count);
        Assert.All(harness.Output().Batches, b => Assert.Equal(1, b.ItemCount));
        await harness.CompleteAsync();
        harness.AssertConserved();
        Assert.Equal((5, 5, 0), (harness.Counters.ItemsIn, harness.Counters.ItemsOut, harness.Counters.ItemsDropped));
    }

    [Fact]
    public async Task A_derived_batch_never_emitted_is_settled_by_the_engine_and_shows_as_unemitted()
    {
        // A RecordingOutput sees nothing wrong: what the operator emitted balances what it received.
        var recording = new RecordingOutput();
        var alone = new LeakDerivedOperator(TestOperatorContext.Create());
        var (batch, _) = Batch(4);
        await alone.ProcessAsync(batch, recording, CancellationToken.None);
        Assert.Equal(4, recording.ItemsOut);

        // In the engine its client hears (the call owned the derived batch), and the harness shows the bug.
        await using var harness = await Create("test.leakDerived");
        var ack = harness.SendAsync(Requests.Traces(4));
        await Poll.UntilAsync(() => harness.Output().Items == 4, "the batch to come out");
        await harness.CompleteAsync();

        Assert.Equal(4, (await ack).RefusedItems);
        Assert.Equal(4, harness.Counters.DroppedByReason["unemitted"]);
        var error = Assert.Throws<ConservationException>(harness.AssertConserved);
        Assert.Contains("operator 'test' (test.leakDerived)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_share_kept_and_never_released_is_a_leaked_share()
    {
        await using var harness = await Create("test.leakHeld");
        _ = harness.SendAsync(Requests.Traces(2));
        _ = harness.SendAsync(Requests.Traces(3));
        await harness.CompleteAsync();

        var error = Assert.Throws<ConservationException>(harness.AssertConserved);
        Assert.Contains("2 of 2 request(s) sent were never settled after drain (2 share(s) leaked)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Items_made_without_being_counted_do_not_balance()
    {
        await using var harness = await Create("test.duplicate");
        var result = await harness.SendAsync(Requests.Traces(5));
        await harness.CompleteAsync();

        Assert.True(result.Succeeded);
        Assert.Equal(10, harness.Output().Items);
        var error = Assert.Throws<ConservationException>(harness.AssertConserved);
        Assert.Contains("in 5 + returned 0 + created 0 != out 10 + dropped 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_batch_fails_its_request_and_the_operator_goes_on()
    {
        await using var harness = await Create("test.picky");

        var failed = await harness.SendAsync(Requests.Traces(2, name: "bad"));
        var dropped = await harness.SendAsync(Requests.Traces(3, name: "drop"));
        var passed = await harness.SendAsync(Requests.Traces(4));

        Assert.False(failed.Succeeded);
        Assert.Equal("cannot handle 'bad'", failed.Error!.Message);
        Assert.True(dropped.Succeeded);
        Assert.Equal(3, dropped.RefusedItems);
        Assert.True(passed.Succeeded);
        Assert.Equal(4, harness.Output().Items);
        Assert.Equal(3, harness.Output(IOperatorOutput.DroppedPort).Items);
        await harness.CompleteAsync();
        harness.AssertConserved();
        Assert.Equal(1, harness.Counters.Errors);
        Assert.Equal(new Dictionary<string, long> { ["error"] = 2, ["picky"] = 3 }, harness.Counters.DroppedByReason);
    }

    [Fact]
    public async Task With_dropped_unread_a_drop_is_refused_with_the_operators_reason()
    {
        await using var harness = await Create("test.picky", harness: new OperatorHarnessOptions { LinkDropped = false });

        var dropped = await harness.SendAsync(Requests.Traces(3, name: "drop"));

        Assert.Equal((3, "picky"), (dropped.RefusedItems, dropped.RefusalReason));
        Assert.Throws<KeyNotFoundException>(() => harness.Output(IOperatorOutput.DroppedPort));
        await harness.CompleteAsync();
        harness.AssertConserved();
    }

    [Fact]
    public async Task An_encoded_batch_can_be_read_from_the_output_after_its_bytes_went_back()
    {
        await using var harness = await Create("test.pass");
        var encoded = Telemetry.TelemetryBatch.CopyEncoded(
            Telemetry.Signal.Traces, Google.Protobuf.MessageExtensions.ToByteArray(Requests.Traces(3, name: "enc")), 3, Telemetry.BatchContext.Empty, Telemetry.Acknowledgement.None);

        var result = await harness.SendAsync(encoded);

        Assert.True(result.Succeeded);
        var received = Assert.Single(harness.Output().Batches);
        Assert.Equal(["enc", "enc", "enc"], Requests.Spans(received.Traces!).Select(s => s.Name));
        await harness.CompleteAsync();
        harness.AssertConserved();
    }

    [Fact]
    public async Task A_held_output_holds_the_senders_until_released()
    {
        // One batch in the held sink, one in the operator waiting to emit: the rest wait to be taken.
        await using var harness = await Create("test.pass", """{ "capacity": 1 }""", new OperatorHarnessOptions { OutputCapacity = 1 });
        harness.Output().Hold();

        var acks = Enumerable.Range(0, 6).Select(_ => harness.SendAsync(Requests.Traces(1))).ToArray();
        await Poll.UntilAsync(() => harness.Output().HeldBatches == 1 && harness.Waiting == 4, "four senders held by backpressure");

        Assert.Empty(harness.Output().Batches);
        Assert.DoesNotContain(acks, a => a.IsCompleted);
        harness.Output().Release();
        var results = await Task.WhenAll(acks);

        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Equal(0, harness.Waiting);
        Assert.Equal(6, harness.Output().Batches.Count);
        await harness.CompleteAsync();
        harness.AssertConserved();
    }

    [Fact]
    public async Task Fake_time_drives_a_timer_flush()
    {
        await using var harness = await Create("batch", """{ "size": 1000, "timeout": "10s" }""");

        var ack = harness.SendAsync(Requests.Traces(3));
        await harness.WhenIdleAsync();
        harness.AdvanceTime(TimeSpan.FromSeconds(9));

        Assert.Empty(harness.Output().Batches);
        Assert.False(ack.IsCompleted);
        harness.AdvanceTime(TimeSpan.FromSeconds(1));
        Assert.True((await ack).Succeeded);

        Assert.Equal(3, Assert.Single(harness.Output().Batches).ItemCount);
        await harness.CompleteAsync();
        harness.AssertConserved();
    }

    [Fact]
    public async Task Completing_flushes_what_the_operator_holds()
    {
        await using var harness = await Create("batch", """{ "size": 1000, "timeout": "1h" }""");
        var acks = new[] { harness.SendAsync(Requests.Traces(2)), harness.SendAsync(Requests.Traces(3)) };

        await harness.CompleteAsync();

        Assert.Equal(5, harness.Output().Items);
        Assert.All(await Task.WhenAll(acks), r => Assert.True(r.Succeeded));
        harness.AssertConserved();
    }

    [Fact]
    public async Task Ports_come_from_the_options()
    {
        await using var harness = await Create("routing.content", """{ "routes": { "errors": "status.code == ERROR" }, "default": "rest" }""");

        Assert.Equal([IOperatorOutput.DroppedPort, "errors", "rest"], harness.Ports.Order(StringComparer.Ordinal));
        var result = await harness.SendAsync(Requests.Traces(2));

        Assert.True(result.Succeeded);
        Assert.Equal(2, harness.Output("rest").Items);
        Assert.Empty(harness.Output("errors").Batches);
        await harness.CompleteAsync();
        harness.AssertConserved();
    }

    [Fact]
    public async Task A_sink_delivers_or_fails_its_requests()
    {
        await using var harness = await Create("test.sink");

        var delivered = await harness.SendAsync(Requests.Traces(3));
        var failed = await harness.SendAsync(Requests.Traces(2, name: "drop"));

        Assert.True(delivered.Succeeded);
        Assert.Equal("refused by the destination", failed.Error!.Message);
        Assert.Equal([IOperatorOutput.DroppedPort], harness.Ports);
        await harness.CompleteAsync();
        harness.AssertConserved();
        Assert.Equal((5, 3, 2), (harness.Counters.ItemsIn, harness.Counters.ItemsOut, harness.Counters.ItemsDropped));
    }

    [Fact]
    public async Task A_source_runs_into_the_outputs_and_takes_no_input()
    {
        await using var harness = await Create("generate", """{ "count": 40, "batchSize": 10 }""");

        await Assert.ThrowsAsync<InvalidOperationException>(() => harness.SendAsync(Requests.Traces(1)));
        await Poll.UntilAsync(() => harness.Output().Items == 40, "the generated items");
        await harness.CompleteAsync();

        Assert.Equal(4, harness.Output().Batches.Count);
        Assert.Equal(40, harness.Counters.ItemsOut);
        harness.AssertConserved();
    }

    private static (Telemetry.TelemetryBatch Batch, Telemetry.AcknowledgementTracker Tracker) Batch(int spans)
    {
        var (share, tracker) = Telemetry.Acknowledgement.Create();
        return (Telemetry.TelemetryBatch.Create(Requests.Traces(spans), ack: share), tracker);
    }
}
