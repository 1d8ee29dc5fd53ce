using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Sampling;
using static OtlpFlow.Operators.Tests.Sampling.SamplingTestData;

namespace OtlpFlow.Operators.Tests.Sampling;

/// <summary>A tail sampler on a fake clock with a recording output.</summary>
internal sealed class TailSamplingTestKit : IAsyncDisposable
{
    public TailSamplingTestKit(string optionsJson)
    {
        Options = Bind(optionsJson);
        Sampler = new TailSamplingOperator(Options, TestOperatorContext.Create("tail", timeProvider: Clock));
        Sampler.AttachOutput(Output);
    }

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

    public ValueTask SendAsync(params Span[] spans) => Sampler.ProcessAsync(Batch(spans), Output, default);

    public ValueTask DrainAsync() => Sampler.FlushAsync(Output, default);

    public async Task AdvanceAsync(TimeSpan by)
    {
        Clock.Advance(by);
        await Sampler.WhenTimerIdle();
    }

    /// <summary>Trace ids (hex) of the spans sent to a port.</summary>
    public HashSet<string> TraceIds(string port) => Spans(Output.On(port)).Select(s => Hex(s.TraceId)).ToHashSet();

    public List<Span> SpansOn(string port) => Spans(Output.On(port)).ToList();

    public ValueTask DisposeAsync() => Sampler.DisposeAsync();
}
