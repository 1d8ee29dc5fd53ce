using System.CommandLine;
using OtlpFlow.Cli.Schema;

namespace OtlpFlow.Cli.Commands;

/// <summary>
/// <c>otlpflow docs [--output docs/operators.md]</c>: writes the operator reference, generated from the
/// registered operators; <c>--output -</c> prints it.
/// </summary>
internal static class DocsCommand
{
    /// <summary>The command's syntax.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var output = new Option<string>("--output", "-o")
        {
            Description = "Where to write the reference ('-' for standard output).",
            DefaultValueFactory = _ => OperatorDocsGenerator.DefaultPath,
        };
        var command = new Command("docs", "Write the operator reference (Markdown), generated from the registered operators.")
        {
            output,
        };
        command.SetAction(parse => Execute(parse.GetValue(output)!, environment));
        return command;
    }

    /// <summary>Generates the reference and writes it; returns 0.</summary>
    public static int Execute(string output, CliEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return GeneratedFile.Write(output, Generate(environment), "operator reference", environment);
    }

    /// <summary>The reference's text for the environment's operators.</summary>
    public static string Generate(CliEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return new OperatorDocsGenerator(environment.CreateRegistry(), new OptionsCatalog(new XmlDocumentation())).Generate();
    }
}
