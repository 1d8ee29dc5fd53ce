using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Engine.Tests.Pipeline;

/// <summary>The memory budget's guard of real memory, driven by a fake probe and a fake clock.</summary>
public sealed class MemoryGuardTests
{
    private const long MiB = 1024 * 1024;

    // Budget 100 MiB: headroom 150 MiB over a 10 MiB base heap, soft limit at 10 + 127.5 MiB.
    private const long Budget = 100 * MiB;
    private const long BaseHeap = 10 * MiB;
    private const long SoftHeap = BaseHeap + (150 * MiB * 85 / 100);
    private const long HardHeap = BaseHeap + (150 * MiB);

    private readonly FakeTimeProvider _time = new();
    private readonly FakeProbe _probe = new() { Reading = new MemoryReading(BaseHeap, 80 * MiB) };

    private MemoryBudget Create() => new(Budget, new MemoryGuardOptions { TimeProvider = _time, Probe = _probe });

    [Fact]
    public void Reservations_are_refused_while_the_heap_is_past_the_soft_limit_and_accepted_once_it_falls()
    {
        using var budget = Create();
        Assert.True(budget.TryReserve(MiB));

        _probe.Reading = new MemoryReading(SoftHeap + MiB, 200 * MiB);
        _probe.HeapAfterCollection = SoftHeap + MiB; // what is held is really held
        _time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.True(budget.IsRefusing);
        Assert.False(budget.TryReserve(MiB));
        Assert.Equal(1, budget.RefusedReservations);
        Assert.Equal(SoftHeap + MiB, budget.LastReading.HeapBytes);

        _probe.Reading = new MemoryReading(SoftHeap - MiB, 200 * MiB);
        _time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.False(budget.IsRefusing);
        Assert.True(budget.TryReserve(MiB));
        Assert.Equal(2 * MiB, budget.InFlightBytes);
    }

    [Fact]
    public async Task A_waiting_reservation_goes_on_when_the_guard_stops_refusing()
    {
        using var budget = Create();
        Assert.True(budget.TryReserve(MiB));
        _probe.Reading = new MemoryReading(SoftHeap + MiB, 200 * MiB);
        _probe.HeapAfterCollection = SoftHeap + MiB;
        _time.Advance(TimeSpan.FromMilliseconds(100));

        var waiting = budget.ReserveAsync(MiB, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);

        _probe.Reading = new MemoryReading(BaseHeap, 200 * MiB);
        _time.Advance(TimeSpan.FromMilliseconds(100));

        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2 * MiB, budget.InFlightBytes);
    }

    [Fact]
    public void A_heap_that_falls_after_a_forced_collection_is_not_refused()
    {
        using var budget = Create();
        Assert.True(budget.TryReserve(MiB));
        _probe.Reading = new MemoryReading(SoftHeap + MiB, 200 * MiB);
        _probe.HeapAfterCollection = BaseHeap + MiB; // it was garbage

        _time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Equal(1, budget.ForcedCollections);
        Assert.Equal([false], _probe.Collections);
        Assert.False(budget.IsRefusing);
        Assert.True(budget.TryReserve(MiB));
    }

    [Fact]
    public void Collections_are_forced_at_most_once_a_second_and_aggressively_past_the_hard_limit()
    {
        using var budget = Create();
        _probe.Reading = new MemoryReading(HardHeap + MiB, 300 * MiB);
        _probe.HeapAfterCollection = HardHeap + MiB;

        for (var i = 0; i < 25; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        // 2.5 s past the limit: at 0.1 s, 1.1 s and 2.1 s.
        Assert.Equal(3, budget.ForcedCollections);
        Assert.Equal([true, true, true], _probe.Collections);
    }

    [Fact]
    public void A_working_set_past_twice_the_headroom_forces_an_aggressive_collection()
    {
        using var budget = Create();
        _probe.Reading = new MemoryReading(BaseHeap, (80 * MiB) + (300 * MiB) + MiB);
        _probe.HeapAfterCollection = BaseHeap;

        _time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Equal([true], _probe.Collections);
        Assert.False(budget.IsRefusing);
    }

    [Fact]
    public void While_refusing_one_reservation_is_still_accepted_when_nothing_is_in_flight()
    {
        using var budget = Create();
        _probe.Reading = new MemoryReading(SoftHeap + MiB, 200 * MiB);
        _probe.HeapAfterCollection = SoftHeap + MiB;
        _time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.True(budget.IsRefusing);
        Assert.True(budget.TryReserve(MiB));
        Assert.False(budget.TryReserve(MiB));
    }

    [Fact]
    public void A_budget_without_a_limit_has_no_guard()
    {
        using var budget = new MemoryBudget(0, new MemoryGuardOptions { TimeProvider = _time, Probe = _probe });
        _probe.Reading = new MemoryReading(long.MaxValue / 2, long.MaxValue / 2);
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.False(budget.IsGuarded);
        Assert.Equal(0, _probe.Reads);
        Assert.True(budget.TryReserve(MiB));
        Assert.True(budget.TryReserve(long.MaxValue / 4));
    }

    [Fact]
    public void A_disposed_budget_reads_no_more()
    {
        var budget = Create();
        _time.Advance(TimeSpan.FromMilliseconds(100));
        var reads = _probe.Reads;

        budget.Dispose();
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(reads, _probe.Reads);
    }

    [Fact]
    public void The_budget_alone_still_refuses_what_does_not_fit()
    {
        using var budget = Create();
        Assert.True(budget.TryReserve(Budget - MiB));
        Assert.False(budget.TryReserve(2 * MiB));
        Assert.False(budget.IsRefusing);
        Assert.Equal(1, budget.RefusedReservations);
        Assert.Equal(Budget - MiB, budget.PeakBytes);
    }

    private sealed class FakeProbe : IMemoryProbe
    {
        public MemoryReading Reading { get; set; }

        public long? HeapAfterCollection { get; set; }

        public List<bool> Collections { get; } = [];

        public int Reads { get; private set; }

        public MemoryReading Read()
        {
            Reads++;
            return Reading;
        }

        public void Collect(bool aggressive)
        {
            Collections.Add(aggressive);
            if (HeapAfterCollection is { } heap)
            {
                Reading = Reading with { HeapBytes = heap };
            }
        }
    }
}
