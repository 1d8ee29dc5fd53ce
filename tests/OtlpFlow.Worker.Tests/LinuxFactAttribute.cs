namespace OtlpFlow.Worker.Tests;

/// <summary>A fact that needs POSIX signals (SIGTERM); skipped elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            Skip = "sends SIGTERM with kill(1), which this platform does not have";
        }
    }
}
