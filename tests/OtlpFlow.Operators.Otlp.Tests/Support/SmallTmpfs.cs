using System.Diagnostics;

namespace OtlpFlow.Operators.Otlp.Tests.Support;

/// <summary>
/// A real tmpfs of a few MiB mounted on a fresh folder (Linux, as root): a disk that really fills.
/// Unmounted and removed on dispose.
/// </summary>
internal sealed class SmallTmpfs : IDisposable
{
    private SmallTmpfs(string path) => Path = path;

    public string Path { get; }

    /// <summary>True where a test can mount one: Linux, running as root.</summary>
    public static bool CanMount => OperatingSystem.IsLinux() && File.Exists("/proc/self/status")
        && File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?.Split('\t', StringSplitOptions.RemoveEmptyEntries) is [_, "0", ..];

    public static SmallTmpfs Mount(string size)
    {
        var path = Directory.CreateTempSubdirectory("otlpflow-tmpfs-").FullName;
        Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", path);
        return new SmallTmpfs(path);
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        Directory.Delete(Path);
    }

    private static void Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {error}");
        }
    }
}

/// <summary>A test that mounts a real tmpfs: skipped where it cannot (not Linux, not root).</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (!SmallTmpfs.CanMount)
        {
            Skip = "mounting a tmpfs needs Linux and root";
        }
    }
}
