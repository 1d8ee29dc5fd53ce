using System.CommandLine;
using OtlpFlow.Cli.Schema;
using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Cli.Commands;

/// <summary>
/// <c>otlpflow docs [PATH] [--plugin DLL]...</c>: writes the operator reference (default
/// docs/operators.md), generated from the registered operators and those of the plugins named;
/// <c>-</c> prints it.
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
        return Generate(environment.CreateRegistry());
    }

    /// <summary>The reference's text for the operators of <paramref name="registry"/>.</summary>
    public static string Generate(OperatorRegistry registry) =>
        new OperatorDocsGenerator(registry, new OptionsCatalog(new XmlDocumentation())).Generate();
}
