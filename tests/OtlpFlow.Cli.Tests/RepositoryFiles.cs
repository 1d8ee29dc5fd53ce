namespace OtlpFlow.Cli.Tests;

/// <summary>Files of the repository the tests run from (found by walking up to OtlpFlow.sln).</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Every sample pipeline file, relative to the root with '/' separators.</summary>
    public static IEnumerable<string> SamplePipelines() =>
        new[] { "samples/pipelines", "samples/CustomOperator", "hosts/OtlpFlow.Worker/pipelines" }
            .Select(PathOf)
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.json", SearchOption.TopDirectoryOnly))
            .Select(f => Path.GetRelativePath(Root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(f => !f.EndsWith(".csproj.json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OtlpFlow.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("OtlpFlow.sln not found above " + AppContext.BaseDirectory);
    }
}
