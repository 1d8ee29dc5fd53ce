namespace OtlpFlow.Cli.Tests;

/// <summary>
/// A test that needs Debian's <c>chromium</c>. Without it the test is skipped with a message, except
/// when <c>OTLPFLOW_REQUIRE_SERVICES=1</c> (CI): then it runs, and fails for want of the browser.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (HeadlessChromium.Executable is null && Environment.GetEnvironmentVariable("OTLPFLOW_REQUIRE_SERVICES") != "1")
        {
            Skip = "chromium is not installed (apt-get install chromium); set OTLPFLOW_REQUIRE_SERVICES=1 to make this a failure";
        }
    }
}
