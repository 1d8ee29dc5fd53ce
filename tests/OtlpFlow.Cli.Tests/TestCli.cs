using Microsoft.Extensions.Logging.Abstractions;
using OtlpFlow.Cli.Tests.TestOperators;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Hosting;

namespace OtlpFlow.Cli.Tests;

/// <summary>Runs the CLI in-process with test operators, capturing what it writes.</summary>
internal sealed class TestCli : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("otlpflow-cli-tests-").FullName;

    public TestCli(bool isTerminal = false, IServiceProvider? services = null, TimeProvider? time = null, int terminalWidth = 200, Func<OperatorRegistry>? registry = null)
    {
        Environment = new CliEnvironment
        {
            Out = Out,
            Error = Error,
            IsTerminal = isTerminal,
            TerminalWidth = () => terminalWidth,
            CreateRegistry = registry ?? Registry,
            CreateLoggerFactory = _ => NullLoggerFactory.Instance,
            Services = services,
            TimeProvider = time ?? TimeProvider.System,
            LiveInterval = TimeSpan.FromSeconds(1),
        };
    }

    public StringWriter Out { get; } = new();

    public StringWriter Error { get; } = new();

    public CliEnvironment Environment { get; }

    public static OperatorRegistry Registry() => new OtlpFlowBuilder { IncludeBuiltInOperators = false }
        .AddOperator<SpanSource, SpanSourceOptions>("test.spans", "Emits small trace batches.")
        .AddOperator<PassThrough>("test.pass", "Passes batches on.")
        .AddOperator<DropAll>("test.drop")
        .AddOperator<NullSink>("test.null", "Accepts and forgets.")
        .AddOperator<FailingSink>("test.fail")
        .AddOperator<FileSink, FileSinkOptions>("test.file", "Pretends to write a file.")
        .BuildRegistry();

    public string[] OutLines => Lines(Out);

    public string[] ErrorLines => Lines(Error);

    public string Write(string json, string name = "pipeline.json")
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, json.ReplaceLineEndings("\n"));
        return path;
    }

    public Task<int> RunAsync(params string[] args) => CliApplication.InvokeAsync(args, Environment);

    public Task<int> RunAsync(CancellationToken cancellationToken, params string[] args) => CliApplication.InvokeAsync(args, Environment, cancellationToken);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string[] Lines(StringWriter writer) =>
        writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
}
