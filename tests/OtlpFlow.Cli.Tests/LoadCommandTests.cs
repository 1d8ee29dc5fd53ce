using OtlpFlow.Engine.Testing;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using OtlpFlow.Cli.Tests.TestOperators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Hosting;
using OtlpFlow.Operators.Otlp.Receiver;

namespace OtlpFlow.Cli.Tests;

public sealed partial class LoadCommandTests : IAsyncLifetime
{
    private readonly TestCli _cli = new(registry: () => new OtlpFlowBuilder().BuildRegistry());
    private RunningPipeline _receiver = null!;

    public async Task InitializeAsync()
    {
        // A real otlp.receiver on free loopback ports, into a sink that counts.
        var registry = new OtlpFlowBuilder().AddOperator<NullSink>("test.null").BuildRegistry();
        var spec = PipelineLoader.Parse("""
            {
              "name": "target",
              "operators": {
                "in":   { "type": "otlp.receiver", "grpc": "127.0.0.1:0", "http": "127.0.0.1:0" },
                "sink": { "type": "test.null", "inputs": ["in"] }
              }
            }
            """);
        _receiver = new PipelineBuilder(registry, null, NullLoggerFactory.Instance).Build(spec);
        await _receiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        _cli.Dispose();
        await _receiver.DisposeAsync();
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http")]
    public async Task Load_delivers_generated_data_to_a_receiver_and_reports_the_rate_achieved(string protocol)
    {
        var receiver = (OtlpReceiverOperator)_receiver.Operators["in"];
        var endpoint = protocol == "grpc" ? receiver.GrpcEndpoint! : receiver.HttpEndpoint!;

        var exit = await _cli.RunAsync("load", "--endpoint", $"{endpoint.Host}:{endpoint.Port}", "--protocol", protocol, "--rate", "5000", "--duration", "1s", "--batch-size", "100");

        Assert.True(exit == 0, $"exit {exit}\n{_cli.Out}\n{_cli.Error}");
        var report = _cli.Out.ToString();
        var delivered = Delivered().Match(report);
        Assert.True(delivered.Success, report);
        var sent = long.Parse(delivered.Groups["sent"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var generated = long.Parse(delivered.Groups["generated"].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(sent > 0);
        Assert.Equal(generated, sent);
        Assert.Matches(@"requests\s+\d+ sent, \d+ accepted, 0 failed", report);
        Assert.Matches(@"errors\s+none", report);

        // Everything the load generator counts as delivered has reached the receiver's sink.
        await Poll.UntilAsync(() => _receiver.Counters["sink"].ItemsIn == sent, "the receiver's sink to have every item sent");
    }

    [Fact]
    public async Task Load_against_a_port_with_no_receiver_counts_the_errors_and_exits_1()
    {
        var receiver = (OtlpReceiverOperator)_receiver.Operators["in"];
        await _receiver.StopAsync();

        var exit = await _cli.RunAsync("load", "--endpoint", $"127.0.0.1:{receiver.GrpcEndpoint!.Port}", "--rate", "1000", "--duration", "300ms", "--batch-size", "100");

        Assert.Equal(1, exit);
        var report = _cli.Out.ToString();
        Assert.Matches(@"achieved\s+0 items/s delivered \(0 of \d+ generated\)", report);
        Assert.Matches(@"errors\s+[1-9]\d*", report);
    }

    [GeneratedRegex(@"achieved\s+\S+ items/s delivered \((?<sent>\d+) of (?<generated>\d+) generated\)")]
    private static partial Regex Delivered();
}
