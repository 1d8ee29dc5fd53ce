using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Operators.Resilience;

namespace OtlpFlow.Operators.Tests.Resilience;

/// <summary>Random sequences of calls, outcomes, waits and manual actions; the state machine's rules must hold after every step.</summary>
public sealed class CircuitBreakerPropertyTests
{
    private static readonly HashSet<(CircuitState, CircuitState, CircuitTrigger)> Allowed =
    [
        (CircuitState.Closed, CircuitState.Open, CircuitTrigger.ConsecutiveFailures),
        (CircuitState.Closed, CircuitState.Open, CircuitTrigger.FailureRatio),
        (CircuitState.Closed, CircuitState.Open, CircuitTrigger.SlowCallRatio),
        (CircuitState.Open, CircuitState.HalfOpen, CircuitTrigger.BreakElapsed),
        (CircuitState.HalfOpen, CircuitState.Open, CircuitTrigger.ProbeFailed),
        (CircuitState.HalfOpen, CircuitState.Closed, CircuitTrigger.ProbesSucceeded),
        (CircuitState.Closed, CircuitState.Isolated, CircuitTrigger.Isolated),
        (CircuitState.Open, CircuitState.Isolated, CircuitTrigger.Isolated),
        (CircuitState.HalfOpen, CircuitState.Isolated, CircuitTrigger.Isolated),
        (CircuitState.Open, CircuitState.Closed, CircuitTrigger.Reset),
        (CircuitState.HalfOpen, CircuitState.Closed, CircuitTrigger.Reset),
        (CircuitState.Isolated, CircuitState.Closed, CircuitTrigger.Reset),
    ];

    [Fact]
    public void Random_outcome_sequences_never_violate_the_state_machine()
    {
        var seen = new HashSet<(CircuitState, CircuitState, CircuitTrigger)>();
        for (var seed = 0; seed < 300; seed++)
        {
            Run(seed, seen);
        }

        // The sequences are varied enough to walk every edge of the state machine.
        Assert.Empty(Allowed.Except(seen));
    }

    private static void Run(int seed, HashSet<(CircuitState, CircuitState, CircuitTrigger)> edges)
    {
        var random = new Random(seed);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var options = new CircuitBreakerOptions
        {
            ConsecutiveFailures = random.Next(0, 2) == 0 ? 0 : random.Next(1, 6),
            FailureRatio = random.Next(0, 3) == 0 ? 0 : random.Next(1, 10) / 10.0,
            SlowCallRatio = random.Next(0, 2) == 0 ? 0 : random.Next(1, 10) / 10.0,
            SlowCallDuration = TimeSpan.FromMilliseconds(random.Next(10, 500)),
            MinThroughput = random.Next(1, 20),
            SamplingWindow = TimeSpan.FromSeconds(random.Next(1, 30)),
            BreakFor = TimeSpan.FromSeconds(random.Next(1, 10)),
            BreakGrowth = random.Next(0, 2) == 0 ? 1 : 1.5,
            HalfOpenProbes = random.Next(1, 4),
        };
        if (options.ConsecutiveFailures == 0 && options.FailureRatio == 0 && options.SlowCallRatio == 0)
        {
            options.ConsecutiveFailures = 3;
        }

        options.MaxBreakFor = options.BreakFor * 4;
        using var breaker = new CircuitBreaker(options, "prop", time);
        var changes = new List<CircuitStateChange>();
        using var subscription = breaker.StateChanges.Subscribe(changes.Add);
        var held = new List<CircuitPermit>();
        var state = CircuitState.Closed;
        var openedAt = DateTimeOffset.MinValue;
        var openFor = TimeSpan.Zero;
        var probesOut = 0;

        for (var step = 0; step < 400; step++)
        {
            var seen = changes.Count;
            var action = random.Next(100);
            var context = $"seed {seed}, step {step}, action {action}";
            if (action < 45)
            {
                var permit = breaker.Acquire();
                var expectGrant = state switch
                {
                    CircuitState.Closed => (bool?)true,
                    CircuitState.Isolated => false,
                    CircuitState.Open when time.GetUtcNow() < openedAt + openFor => false,
                    _ => null, // half-open (or a break just ended): depends on free probe slots
                };
                if (expectGrant is { } expected)
                {
                    Assert.True(expected == permit.IsGranted, context);
                }

                if (permit.IsGranted)
                {
                    held.Add(permit);
                }
            }
            else if (action < 85 && held.Count > 0)
            {
                var index = random.Next(held.Count);
                var permit = held[index];
                held.RemoveAt(index);
                switch (random.Next(10))
                {
                    case < 5: breaker.RecordFailure(permit); break;
                    case < 9: breaker.RecordSuccess(permit); break;
                    default: breaker.Release(permit); break;
                }
            }
            else if (action < 96)
            {
                time.Advance(TimeSpan.FromMilliseconds(random.Next(1, 3000)));
            }
            else if (action < 98)
            {
                breaker.Isolate();
            }
            else
            {
                breaker.Reset();
            }

            // Every published change continues from the last state, follows an allowed edge, and an
            // open circuit turns half-open only once its break is over.
            foreach (var change in changes.Skip(seen))
            {
                Assert.True(change.From == state, $"{context}: change from {change.From}, but the state was {state}");
                Assert.True(Allowed.Contains((change.From, change.To, change.Trigger)), $"{context}: {change.From} -> {change.To} by {change.Trigger}");
                if (change.To == CircuitState.Open)
                {
                    Assert.InRange(change.BreakDuration, options.BreakFor, options.MaxBreakFor);
                    openedAt = change.At;
                    openFor = change.BreakDuration;
                }

                if (change.To == CircuitState.HalfOpen)
                {
                    Assert.True(change.At >= openedAt + openFor, context);
                    probesOut = 0;
                }

                edges.Add((change.From, change.To, change.Trigger));
                state = change.To;
            }

            // Never more probes out at once than allowed.
            if (state == CircuitState.HalfOpen)
            {
                var generation = held.Where(p => p.IsProbe).Select(p => p.Generation).DefaultIfEmpty(-1).Max();
                var current = held.Count(p => p.IsProbe && p.Generation == generation);
                probesOut = Math.Max(probesOut, current);
                Assert.True(probesOut <= options.HalfOpenProbes, context);
            }

            var reported = breaker.State;
            Assert.True(reported == state || (state == CircuitState.Open && reported == CircuitState.HalfOpen), $"{context}: reported {reported}, tracked {state}");
        }
    }
}
