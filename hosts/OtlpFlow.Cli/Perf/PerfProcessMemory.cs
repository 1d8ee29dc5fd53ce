using System.Diagnostics;
using System.Globalization;

namespace OtlpFlow.Cli.Perf;

/// <summary>The process's peak resident memory, as the memory guarantee is measured.</summary>
internal static class PerfProcessMemory
{
    /// <summary>
    /// The peak working set in bytes: <c>VmHWM</c> from <c>/proc/self/status</c> on Linux (what the
    /// kernel saw at its highest), <see cref="Process.PeakWorkingSet64"/> elsewhere.
    /// </summary>
    public static long PeakWorkingSetBytes()
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                foreach (var line in File.ReadLines("/proc/self/status"))
                {
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal)
                        && long.TryParse(line.AsSpan("VmHWM:".Length).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var kib))
                    {
                        return kib * 1024;
                    }
                }
            }
            catch (IOException)
            {
                // A container without procfs: fall back to what the runtime says.
            }
        }

        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }
}
