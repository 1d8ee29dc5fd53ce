using OtlpFlow.Operators.Coordination.Tests.Servers;

namespace OtlpFlow.Hosting.Tests.Conformance;

/// <summary>A theory that needs Debian's redis-server: skipped without it, except under <c>OTLPFLOW_REQUIRE_SERVICES=1</c> (CI), where it fails.</summary>
public sealed class RedisTheoryAttribute : TheoryAttribute
{
    public RedisTheoryAttribute()
    {
        if (ServerBinary.Find("redis-server") is null && !ServerBinary.Required)
        {
            Skip = "redis-server is not installed (apt-get install redis-server); set OTLPFLOW_REQUIRE_SERVICES=1 to make this a failure";
        }
    }
}
