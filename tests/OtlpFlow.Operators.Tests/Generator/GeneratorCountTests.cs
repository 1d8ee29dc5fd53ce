using System.Reflection;
using System.Text.Json.Nodes;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Generator;

namespace OtlpFlow.Operators.Tests.Generator;

public class GeneratorCountTests
{
    [Theory]
    [InlineData(Signal.Traces)]
    [InlineData(Signal.Metrics)]
    [InlineData(Signal.Logs)]
    public async Task Emits_exactly_count_items_in_full_batches_and_a_smaller_last_one(Signal signal)
    {
        var batches = await GeneratorRun.ToEndAsync(new GeneratorOptions { Signal = signal, Count = 1000, BatchSize = 300 });

        Assert.Equal([300, 300, 300, 100], batches.Select(b => b.ItemCount));
        Assert.All(batches, b => Assert.Equal(signal, b.Signal));
        Assert.Equal(1000, batches.Sum(b => b.ItemCount));
    }

    [Theory]
    [InlineData(Signal.Traces)]
    [InlineData(Signal.Metrics)]
    [InlineData(Signal.Logs)]
    public async Task Item_count_matches_the_payload_it_describes(Signal signal)
    {
        var batches = await GeneratorRun.ToEndAsync(new GeneratorOptions { Signal = signal, Count = 777, BatchSize = 100 });

        foreach (var batch in batches)
        {
            var counted = batch.Payload switch
            {
                OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest t => OtlpItems.Count(t),
                OpenTelemetry.Proto.Collector.Metrics.V1.ExportMetricsServiceRequest m => OtlpItems.Count(m),
                OpenTelemetry.Proto.Collector.Logs.V1.ExportLogsServiceRequest l => OtlpItems.Count(l),
                _ => -1,
            };
            Assert.Equal(batch.ItemCount, counted);
        }

        Assert.Equal(777, batches.Sum(b => b.ItemCount));
    }

    [Fact]
    public async Task A_count_below_the_batch_size_gives_one_small_batch()
    {
        var batches = await GeneratorRun.ToEndAsync(new GeneratorOptions { Count = 5 });

        Assert.Equal([5], batches.Select(b => b.ItemCount));
    }

    [Fact]
    public async Task Batch_size_one_gives_one_item_per_batch()
    {
        var batches = await GeneratorRun.ToEndAsync(new GeneratorOptions { Signal = Signal.Metrics, Count = 40, BatchSize = 1 });

        Assert.Equal(40, batches.Count);
        Assert.All(batches, b => Assert.Equal(1, b.ItemCount));
    }

    [Fact]
    public void Out_of_range_options_are_refused_by_the_constructor()
    {
        var context = TestOperatorContext.Create();

        Assert.Throws<ArgumentOutOfRangeException>(() => new GeneratorOperator(new GeneratorOptions { BatchSize = 0 }, context));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GeneratorOperator(new GeneratorOptions { Count = -1 }, context));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GeneratorOperator(new GeneratorOptions { Rate = -5 }, context));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GeneratorOperator(new GeneratorOptions { Services = 0 }, context));
    }

    [Fact]
    public void Options_bind_from_pipeline_keys()
    {
        var errors = new List<OptionError>();
        var json = JsonNode.Parse("""{ "signal": "logs", "count": 10, "rate": 2.5, "batchSize": 64, "seed": 9, "services": 3, "timestamps": "now" }""")!.AsObject();

        var options = Assert.IsType<GeneratorOptions>(OptionsBinder.Bind(typeof(GeneratorOptions), json, errors));

        Assert.Empty(errors);
        Assert.Equal(Signal.Logs, options.Signal);
        Assert.Equal(10, options.Count);
        Assert.Equal(2.5, options.Rate);
        Assert.Equal(64, options.BatchSize);
        Assert.Equal(9, options.Seed);
        Assert.Equal(3, options.Services);
        Assert.Equal(GeneratorTimestamps.Now, options.Timestamps);
    }

    [Fact]
    public void Options_default_as_documented()
    {
        var options = new GeneratorOptions();

        Assert.Equal(Signal.Traces, options.Signal);
        Assert.Equal(0, options.Count);
        Assert.Equal(0, options.Rate);
        Assert.Equal(512, options.BatchSize);
        Assert.Equal(1, options.Seed);
        Assert.Equal(5, options.Services);
        Assert.Equal(GeneratorTimestamps.Fixed, options.Timestamps);
    }

    [Fact]
    public void A_batch_size_out_of_range_is_an_option_error()
    {
        var errors = new List<OptionError>();

        var options = OptionsBinder.Bind(typeof(GeneratorOptions), JsonNode.Parse("""{ "batchSize": 0 }""")!.AsObject(), errors);

        Assert.Null(options);
        Assert.Single(errors);
    }

    [Fact]
    public void It_registers_as_the_generate_source()
    {
        var attribute = typeof(GeneratorOperator).GetCustomAttribute<OperatorAttribute>()!;
        var descriptor = new OperatorDescriptor(attribute.Type, typeof(GeneratorOperator), attribute.Options, attribute.Description);

        Assert.Equal("generate", attribute.Type);
        Assert.Equal(typeof(GeneratorOptions), attribute.Options);
        Assert.Equal(OperatorKind.Source, descriptor.Kind);
    }
}
