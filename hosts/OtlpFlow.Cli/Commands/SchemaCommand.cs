using System.CommandLine;
using OtlpFlow.Cli.Schema;
using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Cli.Commands;

/// <summary>
/// <c>otlpflow schema [PATH] [--plugin DLL]...</c>: writes the JSON Schema of pipeline files
/// (default schema/otlpflow.schema.json), generated from the registered operators' options and
/// those of the plugins named; <c>-</c> prints it.
/// </summary>
internal static class SchemaCommand
{
    /// <summary>The command's syntax.</summary>
    public static Command Create(CliEnvironment environment) => GeneratedFile.CreateCommand(
        "schema", "Write the JSON Schema of pipeline files (for editors), generated from the registered operators.",
        "schema", PipelineSchemaGenerator.DefaultPath, Generate, environment);

    /// <summary>Generates the schema and writes it; returns 0.</summary>
    public static int Execute(string output, CliEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return GeneratedFile.Write(output, Generate(environment), "schema", environment);
    }

    /// <summary>The schema's text for the environment's operators.</summary>
    public static string Generate(CliEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return Generate(environment.CreateRegistry());
    }

    /// <summary>The schema's text for the operators of <paramref name="registry"/>.</summary>
    public static string Generate(OperatorRegistry registry)
    {
        var generator = new PipelineSchemaGenerator(registry, new OptionsCatalog(new XmlDocumentation()));
        return PipelineSchemaGenerator.ToText(generator.Generate());
    }
}
