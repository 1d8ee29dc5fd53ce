using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Routing;

namespace OtlpFlow.Operators.Tests.Routing;

public sealed class GeographyRouterTests
{
    private static GeographyRouterOperator Router() => new(new GeographyRoutingOptions
    {
        Targets = new()
        {
            ["eu-a"] = new GeographyTarget { Region = "eu-west-1", Zone = "eu-west-1a" },
            ["eu-b"] = new GeographyTarget { Region = "eu-west-1", Zone = "eu-west-1b" },
            ["us"] = new GeographyTarget { Region = "us-east-1" },
        },
        Fallback = ["us", "eu-a"],
        Ejection = new OutlierEjectionOptions { ConsecutiveFailures = 2, EjectFor = TimeSpan.FromHours(1), MaxEjectedPercent = 100 },
    }, TestOperatorContext.Create());

    [Fact]
    public async Task Items_go_to_their_zone_then_their_region_then_the_fallback_order()
    {
        var router = Router();
        var output = new RecordingOutput();
        var batch = RoutingTestData.Batch(
            (RoutingTestData.Resource("a", ("cloud.region", "eu-west-1"), ("cloud.availability_zone", "eu-west-1b")), RoutingTestData.Span("zone-b", 1)),
            (RoutingTestData.Resource("b", ("cloud.region", "us-east-1"), ("cloud.availability_zone", "us-east-1c")), RoutingTestData.Span("region-us", 2)),
            (RoutingTestData.Resource("c", ("cloud.region", "ap-south-1")), RoutingTestData.Span("elsewhere", 3)),
            (RoutingTestData.Resource("d"), RoutingTestData.Span("unknown", 4)));

        await router.ProcessAsync(batch, output, default);

        Assert.Equal(["zone-b"], RoutingTestData.SpanNames(output.On("eu-b")));
        Assert.Equal(["region-us", "elsewhere", "unknown"], RoutingTestData.SpanNames(output.On("us")));
        Assert.Empty(output.On("eu-a"));
    }

    [Fact]
    public async Task A_failing_target_is_passed_over_for_the_next_in_line()
    {
        var router = Router();
        var output = new RecordingOutput();
        var fromUs = RoutingTestData.Resource("b", ("cloud.region", "us-east-1"));
        for (var i = 0; i < 2; i++)
        {
            await router.ProcessAsync(RoutingTestData.Batch(fromUs, RoutingTestData.Span("s", i)), output, default);
            output.Emitted[^1].Batch.Ack.Fail(1, new IOException("down"));
        }

        await router.ProcessAsync(RoutingTestData.Batch(fromUs, RoutingTestData.Span("after", 9)), output, default);

        Assert.Equal(2, output.On("us").Count);
        Assert.Equal(["after"], RoutingTestData.SpanNames(output.On("eu-a")));
    }
}
