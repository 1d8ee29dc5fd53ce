using System.CommandLine;
using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Cli.Commands;

/// <summary>
/// A file generated from the registered operators (the schema, the operator reference): its
/// command, <c>otlpflow NAME [PATH] [--output PATH] [--plugin DLL]...</c>, and writing it, or printing
/// it for <c>-</c>.
/// </summary>
internal static class GeneratedFile
{
    /// <summary>The command that generates a file with <paramref name="generate"/> and writes it to its path argument or <c>--output</c>.</summary>
    public static Command CreateCommand(string name, string description, string what, string defaultPath, Func<OperatorRegistry, string> generate, CliEnvironment environment)
    {
        var path = new Argument<string?>("path")
        {
            Description = $"Where to write the {what} ('-' for standard output); the same as --output (default: {defaultPath}).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var output = new Option<string>("--output", "-o")
        {
            Description = $"Where to write the {what} ('-' for standard output).",
            DefaultValueFactory = _ => defaultPath,
        };
        var plugins = PluginOption.Create();
        var command = new Command(name, description)
        {
            path,
            output,
            plugins,
        };
        command.SetAction(parse => PluginOption.CreateRegistry(environment, parse.GetValue(plugins)) is { } registry
            ? Write(parse.GetValue(path) ?? parse.GetValue(output)!, generate(registry), what, environment)
            : ExitCodes.Invalid);
        return command;
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> (creating its folder); returns the exit code.</summary>
    public static int Write(string path, string text, string what, CliEnvironment environment)
    {
        if (path == "-")
        {
            environment.Out.Write(text);
            return ExitCodes.Success;
        }

        try
        {
            var full = Path.GetFullPath(path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
            environment.Out.WriteLine($"wrote the {what} to {path}");
            return ExitCodes.Success;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            environment.Error.WriteLine($"error: cannot write {path}: {ex.Message}");
            return ExitCodes.Failed;
        }
    }
}
