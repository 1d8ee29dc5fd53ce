namespace OtlpFlow.Operators.Coordination.Tests.Servers;

/// <summary>
/// A test that needs Debian's <c>redis-server</c>. Without it the test is skipped with a message,
/// except when <c>OTLPFLOW_REQUIRE_SERVICES=1</c> (CI): then it runs and fails.
/// </summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        if (ServerBinary.Find("redis-server") is null && !ServerBinary.Required)
        {
            Skip = "redis-server is not installed (apt-get install redis-server); set OTLPFLOW_REQUIRE_SERVICES=1 to make this a failure";
        }
    }
}
