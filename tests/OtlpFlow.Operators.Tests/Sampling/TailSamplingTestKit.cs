using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Sampling;
using static OtlpFlow.Operators.Tests.Sampling.SamplingTestData;

namespace OtlpFlow.Operators.Tests.Sampling;

/// <summary>A tail sampler on a fake clock with a recording output.</summary>
internal sealed class TailSamplingTestKit : IAsyncDisposable
{
    /// <param name="optionsJson">The sampler's options.</param>
    /// <param name="encoded">Send every batch as its protobuf encoding (split over several segments), as receivers and the generator do.</param>
    public TailSamplingTestKit(string optionsJson, bool encoded = false)
    {
        Encoded = encoded;
        Options = Bind(optionsJson);
        Sampler = new TailSamplingOperator(Options, TestOperatorContext.Create("tail", timeProvider: Clock));
    }

    public bool Encoded { get; }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public RecordingOutput Output { get; } = new();

    public TailSamplingOptions Options { get; }

    public TailSamplingOperator Sampler { get; }

    public static TailSamplingOptions Bind(string json)
    {
        var errors = new List<OptionError>();
        var options = (TailSamplingOptions?)OptionsBinder.Bind(typeof(TailSamplingOptions), JsonNode.Parse(json)!.AsObject(), errors);
        Assert.True(errors.Count == 0, string.Join("; ", errors));
        return options!;
    }

    public ValueTask SendAsync(params Span[] spans) => ProcessAsync(Batch(spans));

    /// <summary>Processes a batch (encoded first in encoded mode).</summary>
    public ValueTask ProcessAsync(TelemetryBatch batch) => Sampler.ProcessAsync(Prepare(batch, Encoded), Output, default);

    /// <summary>
    /// In encoded mode, the same batch (same share and context) holding its request's encoding split
    /// over three uneven segments, so that a reader must cope with fields across segment boundaries.
    /// </summary>
    public static TelemetryBatch Prepare(TelemetryBatch batch, bool encoded)
    {
        if (!encoded || batch.TryGetEncoded(out _))
        {
            return batch;
        }

        var bytes = batch.Payload.ToByteArray();
        return TelemetryBatch.FromEncoded(batch.Signal, Segments.Split(bytes, 3), batch.ItemCount, batch.Context, batch.Ack);
    }

    public ValueTask DrainAsync() => Sampler.FlushAsync(Output, default);

    public async Task AdvanceAsync(TimeSpan by)
    {
        Clock.Advance(by);
        await Sampler.TickAsync(Output, default); // what the engine runs when the earliest trace is due
    }

    /// <summary>Trace ids (hex) of the spans sent to a port.</summary>
    public HashSet<string> TraceIds(string port) => Spans(Output.On(port)).Select(s => Hex(s.TraceId)).ToHashSet();

    public List<Span> SpansOn(string port) => Spans(Output.On(port)).ToList();

    public ValueTask DisposeAsync() => Sampler.DisposeAsync();
}
