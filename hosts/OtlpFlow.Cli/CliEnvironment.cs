using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Hosting;

namespace OtlpFlow.Cli;

/// <summary>
/// Everything a command takes from the world: where to write, whether a person is watching, which
/// operators exist, the clock. The console gives the real ones; tests give their own.
/// </summary>
internal sealed class CliEnvironment
{
    /// <summary>Where results go.</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Where errors and warnings go.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>True when <see cref="Out"/> is a terminal: progress then rewrites one line instead of printing many.</summary>
    public bool IsTerminal { get; init; }

    /// <summary>The terminal's width in characters, for fitting the live line.</summary>
    public Func<int> TerminalWidth { get; init; } = static () => 120;

    /// <summary>Makes the operator registry for one command.</summary>
    public Func<OperatorRegistry> CreateRegistry { get; init; } = static () => new OtlpFlowBuilder().BuildRegistry();

    /// <summary>Makes the logger factory for a run, given the minimum level.</summary>
    public Func<LogLevel, ILoggerFactory> CreateLoggerFactory { get; init; } = CreateConsoleLogging;

    /// <summary>Services operators may ask for; none by default.</summary>
    public IServiceProvider? Services { get; init; }

    /// <summary>The clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>How often progress is printed when <see cref="Out"/> is not a terminal.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the live line is redrawn on a terminal.</summary>
    public TimeSpan LiveInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often the dashboard and <c>perf</c> sample the pipeline's counters (the period of their rates).</summary>
    public TimeSpan MonitorInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The process's console.</summary>
    public static CliEnvironment ForConsole() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        IsTerminal = !Console.IsOutputRedirected,
        TerminalWidth = static () =>
        {
            try
            {
                return Console.WindowWidth > 0 ? Console.WindowWidth : 120;
            }
            catch (IOException)
            {
                return 120;
            }
        },
    };

    private static ILoggerFactory CreateConsoleLogging(LogLevel minimumLevel) => LoggerFactory.Create(logging =>
    {
        logging.SetMinimumLevel(minimumLevel);
        logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
        });

        // Logs go to stderr so that stdout carries only the command's output (and the live line).
        logging.Services.Configure<ConsoleLoggerOptions>(options => options.LogToStandardErrorThreshold = LogLevel.Trace);

        // A filter function replaces the minimum level, so it checks the level itself. The engine
        // logs an operator's fault with its stack trace; the run command already prints "error:
        // operator 'x' failed: ...", so that trace is shown only with --verbose.
        var quiet = minimumLevel > LogLevel.Information;
        logging.AddFilter((category, level) =>
            level >= minimumLevel && !(quiet && level == LogLevel.Error && category == "OtlpFlow.Pipeline"));
    });
}
