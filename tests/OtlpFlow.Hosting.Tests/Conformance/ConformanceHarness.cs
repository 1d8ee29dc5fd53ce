using System.Reflection;
using System.Text.Json.Nodes;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Hosting.Tests.Conformance;

/// <summary>
/// Runs one registered operator, configured from its documented example, in a real pipeline: the
/// conformance source feeds it (or, for a source, it feeds itself), a sink takes every one of its
/// ports including <c>dropped</c>, and an exporter and its receiver run as two pipelines talking over
/// loopback. After the drain it lists every broken rule: a fault, an operator whose counters do not
/// balance or that counted errors, a request never answered or answered with an error, bytes left in
/// a memory budget.
/// </summary>
public sealed class ConformanceHarness : IDisposable
{
    /// <summary>Items the conformance source sends (6 batches of 50).</summary>
    public const int Items = 300;

    // Bounded: each case is a few hundred items on loopback; a wait this long means a hang.
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    // Exporters and the receiver they talk to: either one under test runs with the other.
    private static readonly Dictionary<string, (string Exporter, string Receiver)> Pairs = new(StringComparer.Ordinal)
    {
        ["otlp.exporter"] = ("otlp.exporter", "otlp.receiver"),
        ["otlp.receiver"] = ("otlp.exporter", "otlp.receiver"),
        ["loadbalancing"] = ("loadbalancing", "otlp.receiver"),
        ["arrow.flight.exporter"] = ("arrow.flight.exporter", "arrow.flight.receiver"),
        ["arrow.flight.receiver"] = ("arrow.flight.exporter", "arrow.flight.receiver"),
    };

    // Operators that need another before them to have meaningful input.
    private static readonly Dictionary<string, string> Upstream = new(StringComparer.Ordinal)
    {
        ["arrow.decode"] = "arrow.encode",
    };

    private readonly OperatorRegistry _registry;
    private readonly string _folder = Directory.CreateTempSubdirectory("otlpflow-conformance-").FullName;
    private readonly string? _redis;

    /// <param name="redisConnection">Redis for the operators that share state through it.</param>
    /// <param name="extra">Operators to register besides the built-ins (the harness's own tests use broken ones).</param>
    public ConformanceHarness(string? redisConnection = null, Action<OtlpFlowBuilder>? extra = null)
    {
        _redis = redisConnection;
        var builder = new OtlpFlowBuilder()
            .AddOperator<ConformanceSource, ConformanceSourceOptions>("conformance.source")
            .AddOperator<ConformanceSink>("conformance.sink");
        extra?.Invoke(builder);
        _registry = builder.BuildRegistry();
    }

    /// <summary>The built-in operator types, sorted (what <c>otlpflow operators</c> lists).</summary>
    public static IReadOnlyList<OperatorDescriptor> BuiltIns() =>
        new OtlpFlowBuilder().BuildRegistry().Operators.OrderBy(d => d.Type, StringComparer.Ordinal).ToList();

    /// <summary>The operator's documented example, or null when it has none.</summary>
    public static string? ExampleOf(OperatorDescriptor descriptor) => descriptor.OperatorType.GetCustomAttribute<OperatorAttribute>()?.Example;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Runs <paramref name="type"/> and returns what broke (empty when it conforms) and what every operator counted.</summary>
    public async Task<ConformanceReport> RunAsync(string type, Signal signal)
    {
        var report = new ConformanceReport();
        if (Pairs.TryGetValue(type, out var pair))
        {
            await RunPairAsync(pair.Exporter, pair.Receiver, signal, report);
        }
        else
        {
            var descriptor = Descriptor(type);
            var ledger = new AckLedger();
            var graph = new Graph();
            if (type == "file.reader")
            {
                await WriteCaptureAsync(signal, report);
            }

            string input = "src";
            if (descriptor.Kind != OperatorKind.Source)
            {
                graph.Add("src", Source(signal));
                if (Upstream.TryGetValue(type, out var before))
                {
                    graph.Add("pre", Configure(before, "src"));
                    input = "pre";
                }
            }

            graph.Add("op", Configure(type, descriptor.Kind == OperatorKind.Source ? null : input));
            await RunAsync("conformance-" + type, graph, "op", ledger, report, other: null);
        }

        return report;
    }

    /// <summary>Sends the conformance source's data through the exporter to a pipeline of the receiver on loopback.</summary>
    private async Task RunPairAsync(string exporter, string receiver, Signal signal, ConformanceReport report)
    {
        var ports = ReceiverPorts(receiver);
        var receiving = new Graph();
        receiving.Add("op", Configure(receiver, null, ports));
        var receiverLedger = new AckLedger();
        await using var server = await StartAsync("conformance-receiver", receiving, "op", receiverLedger, report);
        if (server is null)
        {
            return;
        }

        var sending = new Graph();
        sending.Add("src", Source(signal));
        sending.Add("op", Configure(exporter, "src", ports));
        await RunAsync("conformance-sender", sending, "op", new AckLedger(), report, other: (server, receiverLedger));
    }

    /// <summary>Writes the conformance source's data to the capture file that file.reader's example reads, with file.writer.</summary>
    private async Task WriteCaptureAsync(Signal signal, ConformanceReport report)
    {
        var graph = new Graph();
        graph.Add("src", Source(signal));
        graph.Add("op", Configure("file.writer", "src"));
        await RunAsync("conformance-capture", graph, "op", new AckLedger(), report, other: null);
    }

    private async Task RunAsync(string name, Graph graph, string underTest, AckLedger ledger, ConformanceReport report, (RunningPipeline Pipeline, AckLedger Ledger)? other)
    {
        await using var pipeline = await StartAsync(name, graph, underTest, ledger, report);
        if (pipeline is null)
        {
            return;
        }

        try
        {
            await pipeline.Completion.WaitAsync(RunTimeout);
        }
        catch (TimeoutException)
        {
            report.Problem($"{name}: did not finish within {RunTimeout.TotalSeconds}s ({ledger}); stopping");
            await pipeline.StopAsync(StopTimeout);
        }
        catch (PipelineFaultedException ex)
        {
            report.Problem($"{name}: faulted: {ex.Message}");
        }

        if (other is { } receiver)
        {
            // The sender is done; the receiver drains what it accepted.
            if (!await receiver.Pipeline.StopAsync(StopTimeout))
            {
                report.Problem($"{receiver.Pipeline.Name}: did not drain within {StopTimeout.TotalSeconds}s");
            }

            Check(receiver.Pipeline, receiver.Ledger, report);
        }

        Check(pipeline, ledger, report);
    }

    private async Task<RunningPipeline?> StartAsync(string name, Graph graph, string underTest, AckLedger ledger, ConformanceReport report)
    {
        // Every port of the operator under test, `dropped` included, goes to a sink of its own.
        await using (var probe = Build(name, graph, ledger))
        {
            foreach (var port in probe.Operators[underTest].OutputPorts.Append(IOperatorOutput.DroppedPort))
            {
                graph.Add("to_" + port, new JsonObject { ["type"] = "conformance.sink", ["inputs"] = new JsonArray($"{underTest}.{port}") });
            }
        }

        var pipeline = Build(name, graph, ledger);
        try
        {
            await pipeline.StartAsync();
            return pipeline;
        }
        catch (PipelineFaultedException ex)
        {
            report.Problem($"{name}: failed to start: {ex.Message} {ex.InnerException?.Message}");
            await pipeline.DisposeAsync();
            return null;
        }
    }

    private RunningPipeline Build(string name, Graph graph, AckLedger ledger)
    {
        // Edges of capacity 1: every operator runs under backpressure, the hardest case for its bookkeeping.
        var json = new JsonObject { ["name"] = name, ["defaults"] = new JsonObject { ["capacity"] = 1 }, ["operators"] = graph.ToJson() }.ToJsonString();
        return new PipelineBuilder(_registry, ledger).Build(PipelineLoader.Parse(json));
    }

    /// <summary>Checks the drained pipeline: conservation and no error for every operator, every request answered, no bytes held.</summary>
    private static void Check(RunningPipeline pipeline, AckLedger ledger, ConformanceReport report)
    {
        if (pipeline.Completion.IsFaulted)
        {
            report.Problem($"{pipeline.Name}: faulted: {pipeline.Completion.Exception?.InnerException?.Message}");
        }

        foreach (var id in pipeline.OperatorIds)
        {
            var op = pipeline.Operators[id];
            var counters = pipeline.Counters[id];
            var dropped = string.Join(", ", counters.DroppedByReason.Select(p => $"{p.Key} {p.Value}"));
            report.Counted($"{pipeline.Name} {id} ({op.Kind}): {counters}, returned {counters.ItemsReturned}, errors {counters.Errors}{(dropped.Length == 0 ? string.Empty : $" [{dropped}]")}");
            if (op.Kind != OperatorKind.Source && !counters.Balanced)
            {
                report.Imbalance($"{pipeline.Name}: '{id}' does not balance: {counters} (returned {counters.ItemsReturned}; dropped by reason: {dropped})");
            }

            if (id == "op" && (op.Kind == OperatorKind.Source ? counters.ItemsOut : counters.ItemsIn) == 0)
            {
                report.Problem($"{pipeline.Name}: '{id}' handled no items");
            }

            if (counters.Errors != 0)
            {
                report.Problem($"{pipeline.Name}: '{id}' counted {counters.Errors} failed batches");
            }
        }

        if (ledger.Created != ledger.Settled)
        {
            report.Problem($"{pipeline.Name}: {ledger.Created - ledger.Settled} of {ledger.Created} requests never answered (a share leaked): {ledger}");
        }
        else if (ledger.Failed != 0)
        {
            report.Problem($"{pipeline.Name}: {ledger.Failed} of {ledger.Created} requests answered with an error: {ledger}");
        }

        // A source's request reserves its bytes until it is settled: bytes left mean a share never settled.
        if (pipeline.Memory.InFlightBytes != 0)
        {
            report.Problem($"{pipeline.Name}: {pipeline.Memory.InFlightBytes} bytes still in flight after the drain (a source's request was never answered)");
        }
    }

    private static JsonObject Source(Signal signal) => new()
    {
        ["type"] = "conformance.source",
        ["signal"] = signal.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// The entry for <paramref name="type"/>: its example, with what must point at this machine
    /// (listening addresses, peers' endpoints, files, Redis) replaced by the harness's own.
    /// </summary>
    private JsonObject Configure(string type, string? input, ReceiverAddresses? ports = null)
    {
        var descriptor = Descriptor(type);
        // The harness's own test operators (registered by name, not by attribute) take no options.
        var example = ExampleOf(descriptor)
            ?? (descriptor.OperatorType.Assembly == typeof(ConformanceHarness).Assembly ? "{}" : throw new InvalidOperationException($"operator '{type}' has no example (OperatorAttribute.Example)"));
        var entry = new JsonObject { ["type"] = type };
        if (input is not null)
        {
            entry["inputs"] = new JsonArray(input);
        }

        foreach (var (key, value) in JsonNode.Parse(example)!.AsObject())
        {
            entry[key] = value?.DeepClone();
        }

        switch (type)
        {
            case "otlp.receiver":
                entry["grpc"] = $"127.0.0.1:{ports!.Grpc}";
                entry["http"] = $"127.0.0.1:{ports.Http}";
                break;
            case "otlp.exporter":
                entry["endpoint"] = $"http://127.0.0.1:{ports!.Grpc}";
                break;
            case "loadbalancing":
                entry["endpoints"] = new JsonArray($"http://127.0.0.1:{ports!.Grpc}");
                break;
            case "arrow.flight.receiver":
                entry["endpoint"] = $"127.0.0.1:{ports!.Grpc}";
                break;
            case "arrow.flight.exporter":
                entry["endpoint"] = $"http://127.0.0.1:{ports!.Grpc}";
                break;
            case "file.reader":
            case "file.writer":
                entry["path"] = Path.Combine(_folder, "capture.json");
                break;
            case "routing.dynamic":
                var rules = Path.Combine(_folder, "rules.json");
                File.WriteAllText(rules, """{ "routes": { "errors": "status.code == ERROR" }, "default": "rest" }""");
                entry["rulesFile"] = rules;
                break;
        }

        if (entry.ContainsKey("redis"))
        {
            entry["redis"] = _redis ?? throw new InvalidOperationException($"operator '{type}' needs Redis, and the harness has none");
        }

        return entry;
    }

    private OperatorDescriptor Descriptor(string type) =>
        _registry.TryGet(type, out var descriptor) ? descriptor : throw new InvalidOperationException($"operator '{type}' is not registered");

    private static ReceiverAddresses ReceiverPorts(string receiver) =>
        new(FreePort(), receiver == "otlp.receiver" ? FreePort() : 0);

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record ReceiverAddresses(int Grpc, int Http);

    /// <summary>Operator entries by id, in order.</summary>
    private sealed class Graph
    {
        private readonly List<(string Id, JsonObject Entry)> _entries = [];

        public void Add(string id, JsonObject entry) => _entries.Add((id, entry));

        public JsonObject ToJson()
        {
            var operators = new JsonObject();
            foreach (var (id, entry) in _entries)
            {
                operators[id] = entry.DeepClone();
            }

            return operators;
        }
    }
}

/// <summary>What one conformance run found.</summary>
public sealed class ConformanceReport
{
    private readonly List<string> _problems = [];
    private readonly List<string> _imbalances = [];
    private readonly List<string> _counted = [];

    /// <summary>Broken rules other than conservation: faults, errors, unanswered or failed requests, bytes held.</summary>
    public IReadOnlyList<string> Problems => _problems;

    /// <summary>Operators whose counters do not balance.</summary>
    public IReadOnlyList<string> Imbalances => _imbalances;

    internal void Problem(string text)
    {
        lock (_problems)
        {
            _problems.Add(text);
        }
    }

    internal void Imbalance(string text) => _imbalances.Add(text);

    internal void Counted(string text) => _counted.Add(text);

    public override string ToString() => string.Join('\n', _problems.Concat(_imbalances).Append("counters:").Concat(_counted.Select(c => "  " + c)));
}
