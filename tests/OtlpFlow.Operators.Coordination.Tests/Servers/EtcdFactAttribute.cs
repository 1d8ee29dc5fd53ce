namespace OtlpFlow.Operators.Coordination.Tests.Servers;

/// <summary>
/// A test that needs Debian's etcd (<c>etcd-server</c>). Without it the test is skipped with a
/// message, except when <c>OTLPFLOW_REQUIRE_SERVICES=1</c> (CI): then it runs and fails.
/// </summary>
public sealed class EtcdFactAttribute : FactAttribute
{
    public EtcdFactAttribute()
    {
        if (ServerBinary.Find("etcd") is null && !ServerBinary.Required)
        {
            Skip = "etcd is not installed (apt-get install etcd-server); set OTLPFLOW_REQUIRE_SERVICES=1 to make this a failure";
        }
    }
}
