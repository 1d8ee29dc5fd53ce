using Microsoft.Extensions.DependencyInjection;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Testing;

namespace OtlpFlow.Engine.Tests.Pipeline;

/// <summary>Builds pipelines of the test operators from JSON text.</summary>
public sealed class EngineFixture
{
    public TestState State { get; } = new();

    public OperatorRegistry Registry { get; } = new OperatorRegistry()
        .AddOperator<CountingSource, CountingSourceOptions>("test.source")
        .AddOperator<PassThrough>("test.pass")
        .AddOperator<ThrowingProcessor>("test.throwing")
        .AddOperator<FatalProcessor>("test.fatal")
        .AddOperator<SplitProcessor>("test.split")
        .AddOperator<DroppingProcessor>("test.dropping")
        .AddOperator<HoldingProcessor>("test.holding")
        .AddOperator<MutatingProcessor>("test.mutating")
        .AddOperator<PortsProcessor, RouterOptions>("test.ports")
        .AddOperator<CollectingSink, CollectingSinkOptions>("test.sink")
        .AddOperator<DeriveAndForget>("test.deriveAndForget")
        .AddOperator<DeriveThenThrow>("test.deriveThenThrow")
        .AddOperator<Keeper>("test.keeper")
        .AddOperator<Ticker, TickerOptions>("test.ticker")
        .AddOperator<Duplicator, DuplicatorOptions>("test.duplicator")
        .AddOperator<RejectingSink>("test.rejecting")
        .AddOperator<Staged, StagedOptions>("test.staged")
        .AddOperator<Observer>("test.observer")
        .AddOperator<ChannelServerSource>("test.server");

    public ContractState Contract { get; } = new();

    public RunningPipeline Build(string json, TimeProvider? time = null)
    {
        var services = new ServiceCollection().AddSingleton(State).AddSingleton(Contract).BuildServiceProvider();
        return new PipelineBuilder(Registry, services, timeProvider: time).Build(PipelineLoader.Parse(json, "test.json"));
    }

    public IReadOnlyList<PipelineError> Validate(string json)
    {
        var services = new ServiceCollection().AddSingleton(State).AddSingleton(Contract).BuildServiceProvider();
        return new PipelineBuilder(Registry, services).Validate(PipelineLoader.Parse(json, "test.json"));
    }

    /// <summary>Polls until <paramref name="condition"/> holds, failing after a generous deadline (no fixed sleeps).</summary>
    public static Task Eventually(Func<bool> condition, string what) => Poll.UntilAsync(condition, what);
}
