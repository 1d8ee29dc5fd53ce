using OtlpFlow.Engine.Operators;
using OtlpFlow.Operators.Coordination.Canary;
using OtlpFlow.Operators.Generator;

namespace OtlpFlow.Operators.Coordination.Tests;

/// <summary>The operators the pipeline tests use: the base families, the coordination operators and a counting sink.</summary>
public static class TestRegistry
{
    public static OperatorRegistry Create() => new OperatorRegistry()
        .AddAssembly(typeof(GeneratorOperator).Assembly)
        .AddAssembly(typeof(CanaryOperator).Assembly)
        .AddOperator<CountingSink>("test.sink")
        .AddOperator<DroppingOperator>("test.dropAll")
        .AddOperator<ThrowingSink>("test.down");
}
