namespace OtlpFlow.Operators.Coordination.Tests.Servers;

/// <summary>Finds a server program (Debian's etcd-server, redis-server) on the PATH.</summary>
public static class ServerBinary
{
    /// <summary>True when tests must fail rather than skip for a missing server (CI).</summary>
    public static bool Required => Environment.GetEnvironmentVariable("OTLPFLOW_REQUIRE_SERVICES") == "1";

    /// <summary>The full path of <paramref name="name"/>, or null when it is not installed.</summary>
    public static string? Find(string name)
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Append("/usr/bin").Append("/usr/sbin"))
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }
}
