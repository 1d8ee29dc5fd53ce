using System.CommandLine;
using OtlpFlow.Cli.Commands;
using OtlpFlow.Cli.Load;
using OtlpFlow.Cli.Perf;
using OtlpFlow.Cli.Top;

namespace OtlpFlow.Cli;

/// <summary>The <c>otlpflow</c> command line: its commands, and how it is invoked.</summary>
internal static class CliApplication
{
    /// <summary>The root command with every subcommand.</summary>
    public static RootCommand CreateRootCommand(CliEnvironment environment)
    {
        var root = new RootCommand("otlpflow: run, validate and draw OtlpFlow pipelines of OpenTelemetry data.");
        root.Subcommands.Add(RunCommand.Create(environment));
        root.Subcommands.Add(ValidateCommand.Create(environment));
        root.Subcommands.Add(GraphCommand.Create(environment));
        root.Subcommands.Add(OperatorsCommand.Create(environment));
        root.Subcommands.Add(SchemaCommand.Create(environment));
        root.Subcommands.Add(DocsCommand.Create(environment));
        root.Subcommands.Add(TopCommand.Create(environment));
        root.Subcommands.Add(PerfCommand.Create(environment));
        root.Subcommands.Add(LoadCommand.Create(environment));
        return root;
    }

    /// <summary>Parses <paramref name="args"/> and runs the command; returns the exit code.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="environment">Where output goes and which operators exist.</param>
    /// <param name="cancellationToken">Cancelled on Ctrl+C / SIGTERM: a run then drains and exits.</param>
    public static Task<int> InvokeAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var configuration = new InvocationConfiguration
        {
            Output = environment.Out,
            Error = environment.Error,

            // Signals are handled by ConsoleShutdown, which lets a run drain for as long as its
            // drain timeout; System.CommandLine's own handling would end the process after 2 s.
            ProcessTerminationTimeout = null,
        };
        return CreateRootCommand(environment).Parse(args).InvokeAsync(configuration, cancellationToken);
    }
}
