namespace OtlpFlow.Worker;

/// <summary>Where the worker finds its pipeline file.</summary>
internal static class PipelinePath
{
    /// <summary>
    /// An absolute path as is; a relative one against the current directory when the file is there,
    /// else against the application's folder (where the default pipeline ships, and the only sensible
    /// base for a service, whose current directory is often <c>/</c> or <c>System32</c>).
    /// </summary>
    public static string? Resolve(string? path, string applicationFolder)
    {
        if (string.IsNullOrWhiteSpace(path) || Path.IsPathFullyQualified(path))
        {
            return path;
        }

        var fromCurrent = Path.GetFullPath(path);
        return File.Exists(fromCurrent) ? fromCurrent : Path.GetFullPath(path, applicationFolder);
    }
}
