using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Benchmarks.Engine;

/// <summary>
/// The engine's own cost against the pipelines a .NET user would otherwise write: bounded
/// System.Threading.Channels by hand (the baseline) and Akka.Streams. Two topologies over in-memory
/// batches of 512 spans: <c>linear</c> (a source, 4 pass-through stages, a sink) and <c>fan-out</c>
/// (a source, one stage feeding two branches of one stage and a sink each, every batch reaching both
/// sinks with backpressure). Each stage runs on its own (an async boundary in Akka) with 64 batches
/// of capacity per edge. The pipelines are built once and stay up; an operation pushes
/// <see cref="Batches"/> requests in and waits until the sinks have seen all of their spans.
/// OtlpFlow also tracks acknowledgements, counts every operator and accounts memory; the peers do not.
/// </summary>
[MemoryDiagnoser]
public class EnginePipelineBenchmarks
{
    private const int Capacity = 64;
    private BenchmarkData _channelsData = null!;
    private BenchmarkData _akkaData = null!;
    private BenchmarkData _engineData = null!;
    private Task _channels = null!;
    private ActorSystem _akka = null!;
    private ISourceQueueWithComplete<ExportTraceServiceRequest> _akkaQueue = null!;
    private RunningPipeline _pipeline = null!;
    private ServiceProvider _services = null!;

    /// <summary>Batches pushed through per operation.</summary>
    [Params(2000)]
    public int Batches { get; set; }

    /// <summary><c>linear</c> or <c>fan-out</c>.</summary>
    [Params("linear", "fan-out")]
    public string Topology { get; set; } = "linear";

    private int Sinks => Topology == "linear" ? 1 : 2;

    /// <summary>Builds the three pipelines once.</summary>
    [GlobalSetup]
    public async Task Setup()
    {
        _channelsData = new BenchmarkData(Batches, 512);
        _akkaData = new BenchmarkData(Batches, 512);
        _engineData = new BenchmarkData(Batches, 512);
        _channels = Topology == "linear" ? StartChannelsLinear(_channelsData) : StartChannelsFanOut(_channelsData);
        _akka = ActorSystem.Create("bench", ConfigurationFactory.ParseString("akka.loglevel = ERROR\nakka.stdout-loglevel = ERROR"));
        _akkaQueue = StartAkka(_akkaData, _akka.Materializer(), Topology == "linear");

        var registry = new OperatorRegistry()
            .AddOperator<InMemorySource>("bench.source")
            .AddOperator<PassThroughProcessor>("bench.pass")
            .AddOperator<CountingSink>("bench.sink");
        _services = new ServiceCollection().AddSingleton(_engineData).BuildServiceProvider();
        var spec = PipelineLoader.Parse(Topology == "linear"
            ? """
            { "defaults": { "capacity": 64 },
              "operators": {
                "src": { "type": "bench.source" },
                "p1":  { "type": "bench.pass", "inputs": ["src"] },
                "p2":  { "type": "bench.pass", "inputs": ["p1"] },
                "p3":  { "type": "bench.pass", "inputs": ["p2"] },
                "p4":  { "type": "bench.pass", "inputs": ["p3"] },
                "out": { "type": "bench.sink", "inputs": ["p4"] } } }
            """
            : """
            { "defaults": { "capacity": 64 },
              "operators": {
                "src":  { "type": "bench.source" },
                "p1":   { "type": "bench.pass", "inputs": ["src"] },
                "a":    { "type": "bench.pass", "inputs": ["p1"] },
                "b":    { "type": "bench.pass", "inputs": ["p1"] },
                "outA": { "type": "bench.sink", "inputs": ["a"] },
                "outB": { "type": "bench.sink", "inputs": ["b"] } } }
            """);
        _pipeline = new PipelineBuilder(registry, _services).Build(spec);
        await _pipeline.StartAsync();
    }

    /// <summary>Stops the pipelines.</summary>
    [GlobalCleanup]
    public async Task Cleanup()
    {
        _channelsData.Input.Writer.Complete();
        await _channels;
        _akkaQueue.Complete();
        await _akka.Terminate();
        await _pipeline.StopAsync();
        await _pipeline.DisposeAsync();
        await _services.DisposeAsync();
    }

    /// <summary>The stages hand-written on bounded channels.</summary>
    [Benchmark(Baseline = true)]
    public Task Channels() => Push(_channelsData);

    /// <summary>The same stages as an Akka.Streams graph with async boundaries.</summary>
    [Benchmark]
    public async Task AkkaStreams()
    {
        var done = _akkaData.Expect((long)Batches * _akkaData.SpansPerBatch * Sinks);
        foreach (var request in _akkaData.Requests)
        {
            await _akkaQueue.OfferAsync(request);
        }

        await done;
    }

    /// <summary>The same stages as an OtlpFlow pipeline.</summary>
    [Benchmark]
    public Task OtlpFlow() => Push(_engineData);

    private async Task Push(BenchmarkData data)
    {
        var done = data.Expect((long)Batches * data.SpansPerBatch * Sinks);
        foreach (var request in data.Requests)
        {
            await data.Input.Writer.WriteAsync(request);
        }

        await done;
    }

    private static ISourceQueueWithComplete<ExportTraceServiceRequest> StartAkka(BenchmarkData data, IMaterializer materializer, bool linear)
    {
        var sink = Sink.ForEach<TelemetryBatch>(batch => data.Deliver(batch.ItemCount));
        var source = Source.Queue<ExportTraceServiceRequest>(Capacity, OverflowStrategy.Backpressure)
            .Select(request => TelemetryBatch.Create(request, sizeBytes: data.RequestSize)).Async()
            .Select(Pass).Async();
        var graph = linear
            ? source.Select(Pass).Async().Select(Pass).Async().Select(Pass).Async().To(sink)
            : source.AlsoToMaterialized(Akka.Streams.Dsl.Flow.Create<TelemetryBatch>().Select(Pass).Async().To(sink), Keep.Left).Select(Pass).Async().To(sink);
        return graph.WithAttributes(Attributes.CreateInputBuffer(Capacity, Capacity)).Run(materializer);

        static TelemetryBatch Pass(TelemetryBatch batch) => batch;
    }

    private static Task StartChannelsLinear(BenchmarkData data)
    {
        var first = Bounded();
        var tasks = new List<Task> { Feed(data, first) };
        var input = first.Reader;
        for (var s = 0; s < 4; s++)
        {
            var next = Bounded();
            tasks.Add(Forward(input, next.Writer));
            input = next.Reader;
        }

        tasks.Add(Drain(data, input));
        return Task.WhenAll(tasks);
    }

    private static Task StartChannelsFanOut(BenchmarkData data)
    {
        var first = Bounded();
        var a = Bounded();
        var b = Bounded();
        var outA = Bounded();
        var outB = Bounded();
        var tasks = new List<Task>
        {
            Feed(data, first),
            Task.Run(async () =>
            {
                // Every batch to both branches, each awaited: a full branch holds the stage back.
                await foreach (var batch in first.Reader.ReadAllAsync())
                {
                    await a.Writer.WriteAsync(batch);
                    await b.Writer.WriteAsync(batch);
                }

                a.Writer.Complete();
                b.Writer.Complete();
            }),
            Forward(a.Reader, outA.Writer),
            Forward(b.Reader, outB.Writer),
            Drain(data, outA.Reader),
            Drain(data, outB.Reader),
        };
        return Task.WhenAll(tasks);
    }

    private static Channel<TelemetryBatch> Bounded() =>
        Channel.CreateBounded<TelemetryBatch>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });

    // The first stage reads requests as the engine's source does.
    private static Task Feed(BenchmarkData data, Channel<TelemetryBatch> first) => Task.Run(async () =>
    {
        await foreach (ExportTraceServiceRequest request in data.Input.Reader.ReadAllAsync())
        {
            await first.Writer.WriteAsync(TelemetryBatch.Create(request, sizeBytes: data.RequestSize));
        }

        first.Writer.Complete();
    });

    private static Task Forward(ChannelReader<TelemetryBatch> input, ChannelWriter<TelemetryBatch> output) => Task.Run(async () =>
    {
        await foreach (var batch in input.ReadAllAsync())
        {
            await output.WriteAsync(batch);
        }

        output.Complete();
    });

    private static Task Drain(BenchmarkData data, ChannelReader<TelemetryBatch> input) => Task.Run(async () =>
    {
        await foreach (var batch in input.ReadAllAsync())
        {
            data.Deliver(batch.ItemCount);
        }
    });
}
