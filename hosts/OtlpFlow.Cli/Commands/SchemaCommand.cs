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
    public static Command Create(CliEnvironment environment)
    {
        var output = new Option<string>("--output", "-o")
        {
            Description = "Where to write the schema ('-' for standard output).",
            DefaultValueFactory = _ => PipelineSchemaGenerator.DefaultPath,
        };
        var command = new Command("schema", "Write the JSON Schema of pipeline files (for editors), generated from the registered operators.")
        {
            output,
        };
        command.SetAction(parse => Execute(parse.GetValue(output)!, environment));
        return command;
    }

    /// <summary>Generates the schema and writes it; returns 0.</summary>
    public static int Execute(string output, CliEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var text = Generate(environment);
        return GeneratedFile.Write(output, text, "schema", environment);
    }

    /// <summary>The schema's text for the environment's operators.</summary>
    public static string Generate(CliEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var generator = new PipelineSchemaGenerator(environment.CreateRegistry(), new OptionsCatalog(new XmlDocumentation()));
        return PipelineSchemaGenerator.ToText(generator.Generate());
    }
}
