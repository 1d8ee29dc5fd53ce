namespace OtlpFlow.Cli.Commands;

/// <summary>Writes a generated file, or prints it for <c>-</c>.</summary>
internal static class GeneratedFile
{
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
