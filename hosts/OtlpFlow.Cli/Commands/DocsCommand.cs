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
    public static Command Create(CliEnvironment environment) => GeneratedFile.CreateCommand(
        "docs", "Write the operator reference (Markdown), generated from the registered operators.",
        "operator reference", OperatorDocsGenerator.DefaultPath, Generate, environment);

    /// <summary>The reference's text for the environment's operators.</summary>
    public static string Generate(CliEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return new OperatorDocsGenerator(environment.CreateRegistry(), new OptionsCatalog(new XmlDocumentation())).Generate();
    }
}
