using OtlpFlow.Operators.Coordination.Tests.Servers;
using Xunit.Abstractions;

namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>
/// Issue 19: the two-tier deployment of docs/deployment.md (a front tier load-balancing by trace
/// id over a tail-sampling back tier registered in etcd), run as real processes while the back
/// tier's membership changes under load (a member joins, one leaves on SIGTERM, one is killed and
/// restarts). The configuration is in <c>back.json</c> and <c>front.json</c> next to this file.
/// </summary>
/// <remarks>
/// CI size: about 38 s of load at 1,200 spans/s. With <c>OTLPFLOW_CHURN_FULL=1</c> it runs the
/// issue's full size (26,000 traces at 2,800 spans/s, events at 10/20/30/40 s) for perf/RESULTS.md:
/// <c>OTLPFLOW_CHURN_FULL=1 dotnet test tests/OtlpFlow.Cli.Tests --filter "FullyQualifiedName~ClusterChurn" --logger "console;verbosity=detailed"</c>.
/// <c>OTLPFLOW_CHURN_TEMPLATES=&lt;folder&gt;</c> takes <c>back.json</c> and <c>front.json</c> from another folder.
/// </remarks>
[Collection(ClusterChurnCollection.Name)]
public sealed class ClusterChurnTests(ITestOutputHelper output)
{
    /// <summary>"A few seconds": how soon a member that joined or restarted must receive its first span after registering.</summary>
    private static readonly TimeSpan ArrivalBound = TimeSpan.FromSeconds(5);

    [EtcdFact]
    public async Task A_two_tier_cluster_whose_back_tier_changes_under_load_loses_nothing_splits_no_trace_and_serves_new_members_at_once()
    {
        var options = Environment.GetEnvironmentVariable("OTLPFLOW_CHURN_FULL") == "1" ? ChurnScenarioOptions.Full() : ChurnScenarioOptions.Ci();
        if (Environment.GetEnvironmentVariable("OTLPFLOW_CHURN_TEMPLATES") is { Length: > 0 } templates)
        {
            // Another back.json and front.json to try (a setting, a default), without editing these.
            options = options with { TemplateFolder = Path.GetFullPath(templates) };
        }

        await using var scenario = new ClusterChurnScenario(options, output);

        var report = await scenario.RunAsync();

        // Issue 19's "done when": 0 acknowledged spans lost, 0 traces split (but those in flight when
        // a member was killed, whose first spans it may have exported: no design can join them),
        // duplicates under 1%,
        // every joined or restarted member receiving spans within a few seconds of registering, no
        // client timeouts or give-ups, p99 request latency no worse than decisionWait + 2 s.
        var unmet = report.Unmet(ArrivalBound);
        Assert.True(unmet.Count == 0, $"issue 19 not done: {string.Join("; ", unmet)}{report.HarnessWarning()}\n\n{report.ToTable()}");
    }
}
