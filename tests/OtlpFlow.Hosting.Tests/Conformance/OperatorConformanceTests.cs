using System.Text.Json;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;
using Xunit.Abstractions;

namespace OtlpFlow.Hosting.Tests.Conformance;

/// <summary>
/// Every built-in operator, configured from its documented example (<see cref="OperatorAttribute.Example"/>),
/// run in a real pipeline with real data: it must finish without fault, every operator's counters must
/// balance, and every request sent in must be answered, without error.
/// </summary>
public sealed class OperatorConformanceTests(RedisFixture redis, ITestOutputHelper output) : IClassFixture<RedisFixture>
{
    /// <summary>Operators that share state through Redis: run by their own theory, which needs redis-server.</summary>
    public static readonly IReadOnlySet<string> NeedRedis = new HashSet<string>(StringComparer.Ordinal)
    {
        "flow.distributedLimiter",
        "resilience.distributedBreaker",
    };

    /// <summary>Operators this harness cannot run, with the reason. Empty: every built-in operator runs.</summary>
    public static readonly IReadOnlyDictionary<string, string> Skipped = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Operators that make items (counted out but never in): they cannot balance until the engine counts
    /// created items (<c>OperatorCounters.ItemsCreated</c>, being added). Their imbalance is expected;
    /// every other check still applies.
    /// </summary>
    public static readonly IReadOnlySet<string> ExpectedImbalance = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// KNOWN FAILURES, by type or by "type signal": operators that break a rule today (the value says how). Their case passes only
    /// while the failure is still there, so a fix makes it fail until it is removed from here.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> ExpectedFailures = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Every operator but those needing Redis or skipped, with each signal.</summary>
    public static TheoryData<string, Signal> Operators() => Data(d => !NeedRedis.Contains(d.Type));

    public static TheoryData<string, Signal> RedisOperators() => Data(d => NeedRedis.Contains(d.Type));

    [Theory]
    [MemberData(nameof(Operators))]
    public Task An_operator_run_from_its_example_drains_balanced_and_answers_every_request(string type, Signal signal) =>
        ConformAsync(type, signal, null);

    [RedisTheory]
    [MemberData(nameof(RedisOperators))]
    public async Task An_operator_sharing_state_through_Redis_run_from_its_example_drains_balanced_and_answers_every_request(string type, Signal signal) =>
        await ConformAsync(type, signal, await redis.ConnectionAsync());

    // The harness must catch each kind of breakage, or a passing theory proves nothing.
    [Theory]
    [InlineData("conformance.leaksShares", "never answered")]
    [InlineData("conformance.losesBatches", "does not balance")]
    [InlineData("conformance.throws", "failed batches")]
    public async Task The_harness_reports_an_operator_that_breaks_a_rule(string type, string expected)
    {
        using var harness = new ConformanceHarness(extra: b => b
            .AddOperator<LeaksSharesOperator>("conformance.leaksShares")
            .AddOperator<LosesBatchesOperator>("conformance.losesBatches")
            .AddOperator<ThrowingOperator>("conformance.throws"));

        var report = await harness.RunAsync(type, Signal.Traces);

        output.WriteLine(report.ToString());
        Assert.Contains(report.Problems.Concat(report.Imbalances), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void The_theories_cover_every_registered_operator_but_the_named_skips()
    {
        var registered = ConformanceHarness.BuiltIns().Select(d => d.Type).ToHashSet(StringComparer.Ordinal);
        var covered = Operators().Concat<object[]>(RedisOperators()).Select(row => (string)row[0]).Distinct(StringComparer.Ordinal).ToList();

        Assert.Equal(registered.Order(StringComparer.Ordinal), covered.Concat(Skipped.Keys).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_skip_and_expectation_lists_name_only_registered_operators()
    {
        var registered = ConformanceHarness.BuiltIns().Select(d => d.Type).ToHashSet(StringComparer.Ordinal);

        Assert.DoesNotContain(Skipped.Keys.Concat(NeedRedis).Concat(ExpectedImbalance).Concat(ExpectedFailures.Keys.Select(k => k.Split(' ')[0])), t => !registered.Contains(t));
    }

    [Fact]
    public void Every_registered_operator_has_an_example_that_is_a_json_object_without_reserved_keys()
    {
        foreach (var descriptor in ConformanceHarness.BuiltIns())
        {
            var example = ConformanceHarness.ExampleOf(descriptor);
            Assert.True(example is not null, $"operator '{descriptor.Type}' has no example: set Example on its [Operator] attribute");
            using var document = JsonDocument.Parse(example);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            Assert.DoesNotContain(document.RootElement.EnumerateObject(), p => Engine.Pipeline.PipelineLoader.ReservedKeys.Contains(p.Name));
        }
    }

    private static TheoryData<string, Signal> Data(Func<OperatorDescriptor, bool> include)
    {
        var data = new TheoryData<string, Signal>();
        foreach (var descriptor in ConformanceHarness.BuiltIns().Where(d => !Skipped.ContainsKey(d.Type) && include(d)))
        {
            foreach (var signal in new[] { Signal.Traces, Signal.Metrics, Signal.Logs })
            {
                data.Add(descriptor.Type, signal);
            }
        }

        return data;
    }

    private async Task ConformAsync(string type, Signal signal, string? redisConnection)
    {
        using var harness = new ConformanceHarness(redisConnection);
        var report = await harness.RunAsync(type, signal);
        output.WriteLine(report.ToString());

        var broken = report.Problems.Concat(ExpectedImbalance.Contains(type) ? [] : report.Imbalances).ToList();
        if (ExpectedFailures.TryGetValue($"{type} {signal}", out var known) || ExpectedFailures.TryGetValue(type, out known))
        {
            Assert.True(broken.Count > 0, $"'{type}' now conforms: remove it from ExpectedFailures (it was: {known})\n{report}");
            return;
        }

        Assert.True(broken.Count == 0, $"'{type}' with {signal} does not conform:\n{report}");
    }
}
