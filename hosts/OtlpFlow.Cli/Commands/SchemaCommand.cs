using System.CommandLine;
using OtlpFlow.Cli.Schema;

namespace OtlpFlow.Cli.Commands;

/// <summary>
/// <c>otlpflow schema [--output schema/otlpflow.schema.json]</c>: writes the JSON Schema of pipeline
/// files, generated from the registered operators' options; <c>--output -</c> prints it.
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
        var generator = new PipelineSchemaGenerator(environment.CreateRegistry(), new OptionsCatalog(new XmlDocumentation()));
        return PipelineSchemaGenerator.ToText(generator.Generate());
    }
}
