using OtlpFlow.Engine.Testing;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using OtlpFlow.Cli.Tests.TestOperators;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Hosting;

namespace OtlpFlow.Cli.Tests;

/// <summary>
/// <c>otlpflow run &lt;file&gt; --dashboard 127.0.0.1:0</c> in-process, until disposed: a generator at a
/// steady rate through a pass-through into a sink, with the dashboard's address read from stderr.
/// </summary>
internal sealed partial class DashboardRun : IAsyncDisposable
{
    public const string Pipeline = """
        {
          "name": "live",
          "operators": {
            "gen":  { "type": "generate", "rate": 20000, "batchSize": 100 },
            "pass": { "type": "test.pass", "inputs": ["gen"] },
            "sink": { "type": "test.null", "inputs": ["pass"] }
          }
        }
        """;

    private readonly CancellationTokenSource _stop = new();
    private readonly string _folder = Directory.CreateTempSubdirectory("otlpflow-dashboard-tests-").FullName;
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();
    private Task<int>? _run;

    public Uri Address { get; private set; } = null!;

    public CliEnvironment Environment { get; private set; } = null!;

    /// <summary>Built-in operators (for <c>generate</c>) and the tests' pass-through and sink.</summary>
    public static OperatorRegistry Registry() => new OtlpFlowBuilder()
        .AddOperator<PassThrough>("test.pass")
        .AddOperator<NullSink>("test.null")
        .BuildRegistry();

    /// <summary>Starts the run and waits for the dashboard's address.</summary>
    public async Task StartAsync(string pipeline = Pipeline)
    {
        Environment = new CliEnvironment
        {
            // The run writes from its own threads while the test reads.
            Out = TextWriter.Synchronized(_out),
            Error = TextWriter.Synchronized(_error),
            CreateRegistry = Registry,
            CreateLoggerFactory = _ => NullLoggerFactory.Instance,
            MonitorInterval = TimeSpan.FromMilliseconds(250),
            ProgressInterval = TimeSpan.FromSeconds(5),
        };
        var path = Path.Combine(_folder, "live.json");
        await File.WriteAllTextAsync(path, pipeline);
        _run = Task.Run(() => CliApplication.InvokeAsync(["run", path, "--dashboard", "127.0.0.1:0"], Environment, _stop.Token));
        Match? match = null;
        await Poll.UntilAsync(
            () =>
            {
                if (_run.IsCompleted)
                {
                    throw new InvalidOperationException("the run ended before serving the dashboard: " + ErrorText);
                }

                match = AddressLine().Match(ErrorText);
                return match.Success;
            },
            "the dashboard's address on stderr");
        Address = new Uri(match!.Groups[1].Value);
    }

    public string ErrorText
    {
        get
        {
            // A synchronized writer locks on itself: reading under that lock sees whole writes.
            lock (Environment.Error)
            {
                return _error.ToString();
            }
        }
    }

    public string OutText
    {
        get
        {
            lock (Environment.Out)
            {
                return _out.ToString();
            }
        }
    }

    /// <summary>Stops the run like Ctrl+C; returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        return await _run!;
    }

    public async ValueTask DisposeAsync()
    {
        if (_run is not null && !_run.IsCompleted)
        {
            await StopAsync();
        }

        _stop.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [GeneratedRegex(@"dashboard: (http://\S+)")]
    private static partial Regex AddressLine();
}
