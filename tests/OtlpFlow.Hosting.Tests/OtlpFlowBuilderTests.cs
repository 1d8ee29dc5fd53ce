using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Hosting.Tests.TestOperators;

namespace OtlpFlow.Hosting.Tests;

public class OtlpFlowBuilderTests
{
    [Fact]
    public void AddOtlpFlow_registers_a_registry_that_resolves_an_operator_added_by_name()
    {
        var services = new ServiceCollection()
            .AddOtlpFlow(flow => flow.AddOperator<SpanSource, SpanSourceOptions>("custom.spans", "test source"));
        using var provider = services.BuildServiceProvider();

        var registry = provider.GetRequiredService<OperatorRegistry>();

        Assert.True(registry.TryGet("custom.spans", out var descriptor));
        Assert.Equal(typeof(SpanSource), descriptor.OperatorType);
        Assert.Equal(typeof(SpanSourceOptions), descriptor.OptionsType);
        Assert.Equal(OperatorKind.Source, descriptor.Kind);
        Assert.Equal("test source", descriptor.Description);
    }

    [Fact]
    public void AddOtlpFlow_called_twice_keeps_the_registrations_of_both_calls()
    {
        var services = new ServiceCollection()
            .AddOtlpFlow(flow => flow.AddOperator<SpanSource, SpanSourceOptions>("first"))
            .AddOtlpFlow(flow => flow.AddOperator<SpanCounter>("second"));
        using var provider = services.BuildServiceProvider();

        var registry = provider.GetRequiredService<OperatorRegistry>();

        Assert.True(registry.TryGet("first", out _));
        Assert.True(registry.TryGet("second", out _));
        Assert.Single(services, d => d.ServiceType == typeof(OperatorRegistry));
    }

    [Fact]
    public void AddAssembly_registers_every_attributed_operator_of_the_assembly()
    {
        var registry = new OtlpFlowBuilder { IncludeBuiltInOperators = false }
            .AddAssembly(typeof(SpanSource).Assembly)
            .BuildRegistry();

        Assert.Equal(
            ["test.count", "test.fail", "test.failstart", "test.metrics", "test.spans"],
            registry.Operators.Select(d => d.Type).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_registry_holds_every_operator_of_the_built_in_assembly()
    {
        var builtIn = Assembly.Load("OtlpFlow.Operators");
        var expected = new OperatorRegistry().AddAssembly(builtIn).Operators.Select(d => d.Type);

        var registry = new OtlpFlowBuilder().BuildRegistry();

        Assert.Contains(builtIn, OtlpFlowBuilder.BuiltInAssemblies);
        Assert.Subset(registry.Operators.Select(d => d.Type).ToHashSet(), expected.ToHashSet());
    }

    [Fact]
    public void Without_built_ins_the_registry_holds_only_what_was_added()
    {
        var registry = new OtlpFlowBuilder { IncludeBuiltInOperators = false }
            .AddOperator<SpanCounter>("only")
            .BuildRegistry();

        Assert.Equal(["only"], registry.Operators.Select(d => d.Type));
    }

    [Fact]
    public void Registering_a_name_twice_for_different_classes_fails_at_the_registration()
    {
        var builder = new OtlpFlowBuilder().AddOperator<SpanCounter>("twice");

        var error = Assert.Throws<ArgumentException>(() => builder.AddOperator<FailingSink>("twice"));

        Assert.Contains("'twice' is registered twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_built_registry_is_separate_so_plugins_loaded_into_one_do_not_reach_another()
    {
        var builder = new OtlpFlowBuilder { IncludeBuiltInOperators = false }.AddOperator<SpanCounter>("count");

        var first = builder.BuildRegistry();
        first.AddOperator<FailingSink>("plugin.sink");
        var second = builder.BuildRegistry();

        Assert.False(second.TryGet("plugin.sink", out _));
    }
}
