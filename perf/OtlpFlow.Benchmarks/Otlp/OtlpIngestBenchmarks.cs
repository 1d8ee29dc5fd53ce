using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtlpFlow.Benchmarks.Engine;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Operators.Otlp.Receiver;

namespace OtlpFlow.Benchmarks.Otlp;

/// <summary>
/// OTLP/gRPC ingest over loopback: requests of 512 spans sent by a gRPC client to an
/// <c>otlp.receiver</c> (ack: delivered) feeding a counting sink, against the floor a receiver cannot
/// go below: Google.Protobuf parsing the same request bytes (the baseline). The ratio is what the
/// network, HTTP/2, gRPC framing and the pipeline add to decoding.
/// </summary>
[MemoryDiagnoser]
public class OtlpIngestBenchmarks
{
    private BenchmarkData _data = null!;
    private byte[][] _encoded = null!;
    private RunningPipeline _pipeline = null!;
    private ServiceProvider _services = null!;
    private GrpcChannel _channel = null!;
    private TraceService.TraceServiceClient _client = null!;

    /// <summary>Requests per operation.</summary>
    [Params(200)]
    public int Requests { get; set; }

    /// <summary>Concurrent client calls.</summary>
    [Params(4)]
    public int Concurrency { get; set; }

    /// <summary>Starts the receiver pipeline and the client once.</summary>
    [GlobalSetup]
    public async Task Setup()
    {
        _data = new BenchmarkData(Requests, 512);
        _encoded = _data.Requests.Select(r => r.ToByteArray()).ToArray();
        var registry = new OperatorRegistry()
            .AddAssembly(typeof(OtlpReceiverOperator).Assembly)
            .AddOperator<CountingSink>("bench.sink");
        _services = new ServiceCollection().AddSingleton(_data).BuildServiceProvider();
        _pipeline = new PipelineBuilder(registry, _services).Build(PipelineLoader.Parse("""
        { "operators": {
            "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:0", "ack": "delivered" },
            "out": { "type": "bench.sink", "inputs": ["in"] } } }
        """));
        await _pipeline.StartAsync();
        var receiver = (OtlpReceiverOperator)_pipeline.Operators["in"];
        _channel = GrpcChannel.ForAddress(receiver.GrpcEndpoint!);
        _client = new TraceService.TraceServiceClient(_channel);
    }

    /// <summary>Stops the pipeline and the client.</summary>
    [GlobalCleanup]
    public async Task Cleanup()
    {
        _channel.Dispose();
        await _pipeline.StopAsync();
        await _pipeline.DisposeAsync();
        await _services.DisposeAsync();
    }

    /// <summary>Decoding only: what any receiver must do at least.</summary>
    [Benchmark(Baseline = true)]
    public int ParseOnly()
    {
        var spans = 0;
        foreach (var bytes in _encoded)
        {
            spans += ExportTraceServiceRequest.Parser.ParseFrom(bytes).ResourceSpans[0].ScopeSpans[0].Spans.Count;
        }

        return spans;
    }

    /// <summary>gRPC export calls answered once the sink has the data.</summary>
    [Benchmark]
    public async Task<int> GrpcIngest()
    {
        var next = -1;
        var workers = Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Requests)
            {
                await _client.ExportAsync(_data.Requests[i]);
            }
        });
        await Task.WhenAll(workers);
        return Requests * _data.SpansPerBatch;
    }
}
