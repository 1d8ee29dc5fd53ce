using OpenTelemetry.Proto.Common.V1;
using OtlpFlow.Engine.Conditions;

namespace OtlpFlow.Operators.Tests.Routing;

public sealed class ScopeConditionTests
{
    [Fact]
    public void Scope_attributes_are_read_with_scope_brackets()
    {
        var scope = new InstrumentationScope { Name = "lib" };
        scope.Attributes.Add(new KeyValue { Key = "team", Value = new AnyValue { StringValue = "payments" } });
        var span = RoutingTestData.Span("x", 1);

        Assert.True(Condition.Parse("scope[\"team\"] == \"payments\"").Matches(null, scope, span));
        Assert.False(Condition.Parse("scope[\"team\"] in [\"search\"]").Matches(null, scope, span));
        Assert.False(Condition.Parse("exists scope[\"team\"]").Matches(null, new InstrumentationScope(), span));
        Assert.True(Condition.Parse("scope.name == \"lib\"").Matches(null, scope, span));
    }
}
