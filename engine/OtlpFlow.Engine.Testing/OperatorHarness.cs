using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing.Harness;

namespace OtlpFlow.Engine.Testing;

/// <summary>
/// Runs one operator as a node of a real pipeline, for tests: a harness source feeds it, and a
/// harness sink reads each of its output ports (and <c>"dropped"</c>). The operator is built from its
/// type name and JSON options exactly as a pipeline file gives them, so option errors are those of
/// <c>otlpflow validate</c>; and because the engine runs it, the engine's rules apply: acknowledgement
/// shares released after each call, per-batch errors caught and counted, conservation counters,
/// bounded edges and backpressure, flush on drain.
/// </summary>
/// <example>
/// <code>
/// await using var harness = await OperatorHarness.CreateAsync([typeof(MyOperator).Assembly], "my.op", """{ "window": "10s" }""");
/// var ack = harness.SendAsync(request);
/// await harness.WhenIdleAsync();
/// harness.AdvanceTime(TimeSpan.FromSeconds(10));
/// Assert.True((await ack).Succeeded);
/// await harness.CompleteAsync();
/// harness.AssertConserved();
/// </code>
/// </example>
public sealed class OperatorHarness : IAsyncDisposable
{
    private const string SourceId = "harness_in";
    private const string ProcessDurationInstrument = "otlpflow.operator.process.duration";
    private static readonly JsonDocumentOptions OptionsText = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private readonly HarnessWiring _wiring;
    private readonly TimeSpan _drainTimeout;
    private readonly ConcurrentQueue<AcknowledgementTracker> _requests = new();
    private readonly ConcurrentQueue<Task> _handoffs = new();
    private readonly MeterListener _calls = new();
    private long _callsDone;
    private int _waiting;
    private int _completing;
    private bool _completed;

    private OperatorHarness(RunningPipeline pipeline, string operatorId, string type, HarnessWiring wiring, TimeProvider timeProvider, TimeSpan drainTimeout)
    {
        Pipeline = pipeline;
        OperatorId = operatorId;
        OperatorType = type;
        _wiring = wiring;
        TimeProvider = timeProvider;
        _drainTimeout = drainTimeout;

        // The engine records how long each call took: that is how the harness knows a call has returned.
        _calls.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == pipeline.Meter && instrument.Name == ProcessDurationInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _calls.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "operator" && Equals(tag.Value, operatorId))
                {
                    Interlocked.Increment(ref _callsDone);
                }
            }
        });
        _calls.Start();
    }

    /// <summary>The pipeline the operator runs in (for its events, queue depths and meter).</summary>
    public RunningPipeline Pipeline { get; }

    /// <summary>The operator's id in <see cref="Pipeline"/>.</summary>
    public string OperatorId { get; }

    /// <summary>The operator's type name.</summary>
    public string OperatorType { get; }

    /// <summary>The operator instance under test.</summary>
    public OperatorBase Operator => Pipeline.Operators[OperatorId];

    /// <summary>The pipeline's clock: a <see cref="FakeTimeProvider"/> unless the options gave another.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>The operator's conservation counters: items in, out, dropped by reason, returned, errors.</summary>
    public OperatorCounters Counters => Pipeline.Counters[OperatorId];

    /// <summary>The ports with a harness output: the operator's output ports, then <c>"dropped"</c> when linked.</summary>
    public IReadOnlyList<string> Ports { get; private init; } = [];

    /// <summary>Every batch that reached any output, in arrival order, with its port.</summary>
    public IReadOnlyList<(string Port, TelemetryBatch Batch)> Emitted => _wiring.Emitted.ToArray();

    /// <summary>
    /// Batches given to <see cref="SendAsync(TelemetryBatch, CancellationToken)"/> that the operator
    /// has not taken yet because its input is full: the senders that backpressure holds.
    /// </summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>
    /// Builds and starts a pipeline around the operator registered as <paramref name="type"/> in
    /// <paramref name="registry"/> (fill it with <see cref="OperatorRegistry.AddAssembly"/> for a
    /// plugin's operators), with <paramref name="optionsJson"/> as the operator's keys in a pipeline
    /// file: its options, and reserved keys such as <c>capacity</c> or <c>parallelism</c>, but not
    /// <c>type</c> or <c>inputs</c>.
    /// </summary>
    /// <exception cref="PipelineValidationException">
    /// The options have problems; <see cref="PipelineValidationException.Errors"/> holds the same messages
    /// <c>otlpflow validate</c> prints, located (line and column) in <paramref name="optionsJson"/>.
    /// </exception>
    public static async Task<OperatorHarness> CreateAsync(
        OperatorRegistry registry, string type, string optionsJson = "{}", OperatorHarnessOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(optionsJson);
        options ??= new OperatorHarnessOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.OutputCapacity, 1, nameof(options));

        var id = options.OperatorId;
        var keys = ParseOptions(optionsJson, id);
        var harnessRegistry = WithHarnessOperators(registry);
        var isSource = registry.TryGet(type, out var descriptor) && descriptor.Kind == OperatorKind.Source;
        var timeProvider = options.TimeProvider ?? new FakeTimeProvider();
        var wiring = new HarnessWiring(options.OutputCapacity);
        var builder = new PipelineBuilder(harnessRegistry, new HarnessServices(wiring, options.Services), options.LoggerFactory, timeProvider);

        // Ports can depend on options (a router's routes), so the operator is built once alone to
        // learn them; operators' constructors have no side effects, as validation relies on too.
        var operators = new JsonObject();
        if (!isSource)
        {
            operators[SourceId] = new JsonObject { ["type"] = HarnessSource.TypeName };
        }

        var subject = (JsonObject)keys.DeepClone();
        subject["type"] = type;
        if (!isSource)
        {
            subject["inputs"] = new JsonArray(SourceId);
        }

        operators[id] = subject;
        IReadOnlyList<string> ports;
        await using (var probe = Build(builder, operators, id, optionsJson))
        {
            ports = probe.Operators[id].OutputPorts;
        }

        var linked = options.LinkDropped ? ports.Append(IOperatorOutput.DroppedPort).ToArray() : ports.ToArray();
        for (var i = 0; i < linked.Length; i++)
        {
            operators[$"harness_out_{i.ToString(CultureInfo.InvariantCulture)}"] = new JsonObject
            {
                ["type"] = HarnessSink.TypeName,
                ["inputs"] = new JsonArray(linked[i] == IOperatorOutput.DefaultPort ? id : $"{id}.{linked[i]}"),
                ["capacity"] = options.OutputCapacity,
                ["port"] = linked[i],
            };
            wiring.Output(linked[i]);
        }

        var pipeline = Build(builder, operators, id, optionsJson);
        var harness = new OperatorHarness(pipeline, id, type, wiring, timeProvider, options.DrainTimeout) { Ports = linked };
        try
        {
            await pipeline.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await harness.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return harness;
    }

    /// <summary>
    /// <see cref="CreateAsync(OperatorRegistry, string, string, OperatorHarnessOptions?, CancellationToken)"/>
    /// over the operators of <paramref name="assemblies"/> (a plugin's, or <c>OtlpFlow.Operators</c>).
    /// </summary>
    /// <exception cref="PipelineValidationException">The options have problems (see the other overload).</exception>
    public static Task<OperatorHarness> CreateAsync(
        IEnumerable<Assembly> assemblies, string type, string optionsJson = "{}", OperatorHarnessOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(assemblies);
        var registry = new OperatorRegistry();
        foreach (var assembly in assemblies)
        {
            registry.AddAssembly(assembly);
        }

        return CreateAsync(registry, type, optionsJson, options, cancellationToken);
    }

    /// <summary>The harness output on <paramref name="port"/>.</summary>
    /// <exception cref="KeyNotFoundException">The operator has no such port (or <c>"dropped"</c> is not linked).</exception>
    public HarnessOutput Output(string port = IOperatorOutput.DefaultPort) =>
        _wiring.TryGetOutput(port, out var output)
            ? output
            : throw new KeyNotFoundException($"operator '{OperatorId}' has no harness output '{port}' (outputs: {string.Join(", ", Ports)})");

    /// <summary>
    /// Sends a batch to the operator as its input would: waits for room (backpressure), then completes
    /// with the acknowledgement of the batch's request once every share of it is settled (delivered,
    /// refused by a policy, or failed with the error). A batch without a share gets a new request; a
    /// batch with one must belong to exactly one request. Do not await it when the operator holds data
    /// until a timer or a flush: keep the task and await it after <see cref="AdvanceTime"/> or
    /// <see cref="CompleteAsync"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The operator is a source, or the harness is completing.</exception>
    public Task<AcknowledgementResult> SendAsync(TelemetryBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!Pipeline.OperatorIds.Contains(SourceId))
        {
            throw new InvalidOperationException($"operator '{OperatorId}' ({OperatorType}) is a source: it takes no input.");
        }

        if (Volatile.Read(ref _completing) != 0)
        {
            throw new InvalidOperationException("The harness is completing: it takes no more input.");
        }

        AcknowledgementTracker tracker;
        if (batch.Ack.IsNone)
        {
            var (share, created) = Acknowledgement.Create(batch.SizeBytes);
            var tracked = batch.WithAcknowledgement(share);
            batch.Ack.Deliver(); // the share of nothing it had: settling it lets go of what it held
            batch = tracked;
            tracker = created;
        }
        else if (batch.Ack.Trackers.Count == 1)
        {
            tracker = batch.Ack.Trackers[0];
        }
        else
        {
            throw new ArgumentException($"The batch holds shares of {batch.Ack.Trackers.Count} requests; send batches of one request each.", nameof(batch));
        }

        _requests.Enqueue(tracker);
        Interlocked.Increment(ref _waiting);
        var handoff = HandOffAsync(batch, cancellationToken);
        _handoffs.Enqueue(handoff);
        return AcknowledgedAsync(handoff, tracker);
    }

    /// <summary>Sends an OTLP export request (traces, metrics or logs) as one batch, received now; see <see cref="SendAsync(TelemetryBatch, CancellationToken)"/>.</summary>
    /// <exception cref="ArgumentException">The message is not an OTLP export request.</exception>
    public Task<AcknowledgementResult> SendAsync(IMessage request, CancellationToken cancellationToken = default) =>
        SendAsync(TelemetryBatch.Create(request, BatchContext.At(TimeProvider.GetUtcNow())), cancellationToken);

    /// <summary>
    /// Completes once every batch sent so far has been taken by the operator and its call has
    /// returned: then a timer the operator set for that data exists, and <see cref="AdvanceTime"/> can
    /// fire it. Applies to operators run through <c>ProcessAsync</c> (not to a custom <c>CreateBlock</c>).
    /// </summary>
    /// <exception cref="TimeoutException">Not idle within <see cref="OperatorHarnessOptions.DrainTimeout"/> (real time); is an output held?</exception>
    public Task WhenIdleAsync() =>
        Poll.UntilAsync(
            () => Waiting == 0 && Interlocked.Read(ref _callsDone) >= Counters.BatchesIn,
            $"operator '{OperatorId}' to process every batch sent",
            _drainTimeout);

    /// <summary>Moves the fake clock forward, firing the timers that fall due (on this thread).</summary>
    /// <exception cref="InvalidOperationException">The harness runs on another clock than a <see cref="FakeTimeProvider"/>.</exception>
    public void AdvanceTime(TimeSpan by)
    {
        if (TimeProvider is not FakeTimeProvider fake)
        {
            throw new InvalidOperationException($"The harness runs on a {TimeProvider.GetType().Name}, not a FakeTimeProvider; advance that clock yourself.");
        }

        fake.Advance(by);
    }

    /// <summary>
    /// Drains as a host's stop does: waits until every send was taken, asks the pipeline to stop, and
    /// waits until the operator was flushed and everything it emitted reached the outputs. Release any
    /// held output first. Waits at most <see cref="OperatorHarnessOptions.DrainTimeout"/> (real time).
    /// </summary>
    /// <exception cref="TimeoutException">Sends were still waiting, or the pipeline did not drain, in time.</exception>
    /// <exception cref="PipelineFaultedException">The operator faulted the pipeline.</exception>
    public async Task CompleteAsync()
    {
        Interlocked.Exchange(ref _completing, 1);
        try
        {
            // A send that failed reports it through its own task; here only its end matters.
            var ended = _handoffs.Select(h => h.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
            await Task.WhenAll(ended).WaitAsync(_drainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Waiting} send(s) were still waiting for operator '{OperatorId}' to take them after {_drainTimeout}; is an output held? ({Held()})");
        }

        var stopping = Pipeline.StopAsync(Timeout.InfiniteTimeSpan);
        try
        {
            await Pipeline.Completion.WaitAsync(_drainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"operator '{OperatorId}' did not drain within {_drainTimeout} ({Counters}; {Held()}).");
        }

        await stopping.ConfigureAwait(false);
        _completed = true;
    }

    /// <summary>
    /// Checks conservation once <see cref="CompleteAsync"/> has drained the operator: items in +
    /// returned = items out + dropped (<see cref="OperatorCounters.Balanced"/>; not for a source, whose
    /// items are made), what reached the outputs is what the operator counted out, and every request
    /// sent has been settled (no leaked acknowledgement share).
    /// </summary>
    /// <exception cref="ConservationException">With every discrepancy found.</exception>
    /// <exception cref="InvalidOperationException">The harness has not completed.</exception>
    public void AssertConserved()
    {
        if (!_completed)
        {
            throw new InvalidOperationException("AssertConserved needs a drained operator: await CompleteAsync() first.");
        }

        var problems = new List<string>();
        var c = Counters;
        if (!c.Balanced)
        {
            problems.Add($"items do not balance: {c.DescribeImbalance()}{Reasons(c)}"
                + " (an operator that makes items must count them; one that removes items must count them dropped)");
        }

        if (Operator.Kind != OperatorKind.Sink)
        {
            var received = _wiring.Outputs.Where(o => o.Port != IOperatorOutput.DroppedPort).Sum(o => o.Items);
            if (received != c.ItemsOut)
            {
                problems.Add($"the outputs received {received} items but the operator counted {c.ItemsOut} out");
            }
        }

        var requests = _requests.ToArray();
        var open = requests.Where(r => r.Outstanding > 0).ToArray();
        if (open.Length > 0)
        {
            problems.Add($"{open.Length} of {requests.Length} request(s) sent were never settled after drain ({open.Sum(r => r.Outstanding)} share(s) leaked):"
                + " a batch derived from the input, or a share taken with AddShare, was never emitted, dropped or settled, so its client would wait for ever");
        }

        if (problems.Count > 0)
        {
            throw new ConservationException($"operator '{OperatorId}' ({OperatorType}) is not conserved:{Environment.NewLine}  - " + string.Join(Environment.NewLine + "  - ", problems));
        }
    }

    /// <summary>Stops the pipeline if it still runs (abandoning in-flight work, whose acknowledgements fail) and disposes it.</summary>
    public async ValueTask DisposeAsync()
    {
        _calls.Dispose();
        foreach (var output in _wiring.Outputs)
        {
            output.Release();
        }

        if (!Pipeline.Completion.IsCompleted)
        {
            try
            {
                await Pipeline.StopAsync(TimeSpan.Zero).WaitAsync(_drainTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // A hung operator: nothing more to do for it in a test.
            }
        }

        if (Pipeline.Completion.IsCompleted)
        {
            await Pipeline.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task HandOffAsync(TelemetryBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            var output = await _wiring.SourceOutput.WaitAsync(cancellationToken).ConfigureAwait(false);
            await output.EmitAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    private static async Task<AcknowledgementResult> AcknowledgedAsync(Task handoff, AcknowledgementTracker tracker)
    {
        await handoff.ConfigureAwait(false);
        return await tracker.Completion.ConfigureAwait(false);
    }

    private string Held()
    {
        var held = _wiring.Outputs.Where(o => o.HeldBatches > 0).Select(o => o.Port).ToArray();
        return held.Length == 0 ? "no output is held" : "held outputs: " + string.Join(", ", held);
    }

    private static string Reasons(OperatorCounters counters)
    {
        var reasons = counters.DroppedByReason;
        return reasons.Count == 0 ? string.Empty : " (dropped: " + string.Join(", ", reasons.Select(r => $"{r.Key} {r.Value}")) + ")";
    }

    private static JsonObject ParseOptions(string optionsJson, string id)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(optionsJson, documentOptions: OptionsText);
        }
        catch (JsonException ex)
        {
            var message = ex.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            throw new PipelineValidationException([new PipelineError(null, (int)(ex.LineNumber ?? 0) + 1, (int)(ex.BytePositionInLine ?? 0) + 1, id, "$",
                "not valid JSON: " + (cut > 0 ? message[..cut] : message))]);
        }

        if (node is not JsonObject keys)
        {
            throw new PipelineValidationException([new PipelineError(null, 1, 1, id, "$", "an operator's options must be a JSON object such as { \"size\": 100 }")]);
        }

        var harnessKeys = keys.Select(k => k.Key).Where(k => k is "type" or "inputs").ToArray();
        if (harnessKeys.Length > 0)
        {
            throw new PipelineValidationException([new PipelineError(null, 1, 1, id, "$", $"the harness sets '{string.Join("' and '", harnessKeys)}' itself: leave them out of the options")]);
        }

        return keys;
    }

    private static OperatorRegistry WithHarnessOperators(OperatorRegistry registry)
    {
        var copy = new OperatorRegistry();
        foreach (var descriptor in registry.Operators)
        {
            copy.Add(descriptor);
        }

        foreach (var (name, scheduler) in registry.Schedulers)
        {
            copy.AddScheduler(name, scheduler);
        }

        copy.Add(new OperatorDescriptor(HarnessSource.TypeName, typeof(HarnessSource), null, "Feeds the operator under test."));
        copy.Add(new OperatorDescriptor(HarnessSink.TypeName, typeof(HarnessSink), typeof(HarnessSinkOptions), "Records one port of the operator under test."));
        return copy;
    }

    /// <summary>Builds the harness pipeline; errors about the operator are located in its options text.</summary>
    private static RunningPipeline Build(PipelineBuilder builder, JsonObject operators, string id, string optionsJson)
    {
        var text = new JsonObject { ["name"] = "harness", ["operators"] = operators.DeepClone() }.ToJsonString();
        try
        {
            return builder.Build(PipelineLoader.Parse(text));
        }
        catch (PipelineValidationException ex)
        {
            var positions = JsonPositionMap.Build(Encoding.UTF8.GetBytes(optionsJson));
            var prefix = $"$.operators.{id}";
            var errors = ex.Errors.Select(e =>
            {
                var rest = e.JsonPath.StartsWith(prefix, StringComparison.Ordinal) ? e.JsonPath[prefix.Length..] : null;
                if (rest is null || (rest.Length > 0 && rest[0] is not ('.' or '[')))
                {
                    return e;
                }

                var (line, column) = positions.Find("$" + rest);
                return e with { File = null, Line = line, Column = column };
            }).ToArray();
            throw new PipelineValidationException(errors);
        }
    }
}
