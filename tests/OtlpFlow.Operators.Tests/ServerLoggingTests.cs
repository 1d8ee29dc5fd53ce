using Microsoft.Extensions.Logging;
using OtlpFlow.Operators.Tests.Files;

namespace OtlpFlow.Operators.Tests;

/// <summary>A receiver's web server logs into the operator's log: its warnings and errors, not its chatter.</summary>
public sealed class ServerLoggingTests
{
    [Fact]
    public void Warnings_and_errors_of_any_server_category_reach_the_operator_log_and_lower_levels_do_not()
    {
        var log = new ListLogger();
        using var provider = new ServerLogging(log);
        var kestrel = provider.CreateLogger("Microsoft.AspNetCore.Server.Kestrel");
        var hosting = provider.CreateLogger("Microsoft.Hosting.Lifetime");

        kestrel.LogDebug("connection accepted");
        hosting.LogInformation("application started");
        kestrel.LogWarning("heartbeat late");
        kestrel.LogError(new InvalidOperationException("boom"), "unhandled exception");

        Assert.Equal([(LogLevel.Warning, "heartbeat late"), (LogLevel.Error, "unhandled exception")], log.Entries);
        Assert.False(kestrel.IsEnabled(LogLevel.Information));
        Assert.True(kestrel.IsEnabled(LogLevel.Critical));
    }
}
