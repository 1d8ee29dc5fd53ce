using System.CommandLine;

namespace OtlpFlow.Cli.Commands;

/// <summary>
/// A file generated from the registered operators (the schema, the operator reference): its
/// command, <c>otlpflow NAME [--output PATH]</c>, and writing it, or printing it for <c>-</c>.
/// </summary>
internal static class GeneratedFile
{
    /// <summary>The command that generates a file with <paramref name="generate"/> and writes it to <c>--output</c>.</summary>
    public static Command CreateCommand(string name, string description, string what, string defaultPath, Func<CliEnvironment, string> generate, CliEnvironment environment)
    {
        var output = new Option<string>("--output", "-o")
        {
            Description = $"Where to write the {what} ('-' for standard output).",
            DefaultValueFactory = _ => defaultPath,
        };
        var command = new Command(name, description)
        {
            output,
        };
        command.SetAction(parse => Write(parse.GetValue(output)!, generate(environment), what, environment));
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
