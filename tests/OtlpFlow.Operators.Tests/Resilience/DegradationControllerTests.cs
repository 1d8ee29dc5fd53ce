using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Operators.Resilience;

namespace OtlpFlow.Operators.Tests.Resilience;

public sealed class DegradationControllerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private DegradationController Controller(TimeSpan? cooldown = null) => new(
        [
            new DegradationLevelOptions { Name = "sample", EnterAbove = 0.6, ExitBelow = 0.4 },
            new DegradationLevelOptions { Name = "trim", EnterAbove = 0.8, ExitBelow = 0.6 },
            new DegradationLevelOptions { Name = "shed", EnterAbove = 0.95, ExitBelow = 0.8 },
        ],
        cooldown ?? TimeSpan.FromSeconds(10),
        "test",
        _time);

    [Fact]
    public void Overload_raises_the_level_one_step_per_reading()
    {
        using var controller = Controller();
        var changes = new List<DegradationLevelChange>();
        using var subscription = controller.LevelChanges.Subscribe(changes.Add);

        Assert.Equal([1, 2, 3, 3], Enumerable.Range(0, 4).Select(_ => controller.Update(1.0)));
        Assert.Equal([(0, 1, "sample"), (1, 2, "trim"), (2, 3, "shed")], changes.Select(c => (c.From, c.To, c.Name)));
    }

    [Fact]
    public void A_moderate_load_rises_only_as_far_as_its_thresholds()
    {
        using var controller = Controller();
        for (var i = 0; i < 10; i++)
        {
            controller.Update(0.85);
        }

        Assert.Equal(2, controller.Level);
    }

    [Fact]
    public void The_level_falls_one_step_per_cooldown_once_the_load_drops()
    {
        using var controller = Controller(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 3; i++)
        {
            controller.Update(1.0);
        }

        var levels = new List<int>();
        for (var second = 0; second <= 30; second++)
        {
            levels.Add(controller.Update(0.1));
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        // Under every exit threshold from second 0: down a step at 10, 20 and 30 seconds.
        Assert.Equal(3, levels[9]);
        Assert.Equal(2, levels[10]);
        Assert.Equal(2, levels[19]);
        Assert.Equal(1, levels[20]);
        Assert.Equal(0, levels[30]);
    }

    [Fact]
    public void A_noisy_load_between_the_thresholds_does_not_flap()
    {
        using var controller = Controller(TimeSpan.FromSeconds(10));
        var changes = new List<DegradationLevelChange>();
        using var subscription = controller.LevelChanges.Subscribe(changes.Add);
        var random = new Random(42);

        // Noise around the first level's entry (0.6), never under its exit (0.4) for long: one change up, none back.
        for (var i = 0; i < 1000; i++)
        {
            controller.Update(0.45 + (random.NextDouble() * 0.3));
            _time.Advance(TimeSpan.FromMilliseconds(500));
        }

        Assert.Equal(1, controller.Level);
        Assert.Single(changes);
    }

    [Fact]
    public void Dips_under_the_exit_threshold_shorter_than_the_cooldown_do_not_lower_the_level()
    {
        using var controller = Controller(TimeSpan.FromSeconds(10));
        controller.Update(0.7);
        for (var i = 0; i < 200; i++)
        {
            // Under the exit threshold for 5 s, then back above it for 1 s.
            controller.Update(i % 6 == 5 ? 0.5 : 0.2);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(1, controller.Level);
    }

    [Fact]
    public void Levels_must_rise_and_exit_below_entry()
    {
        Assert.Throws<ArgumentException>(() => new DegradationController(
            [new DegradationLevelOptions { EnterAbove = 0.8 }, new DegradationLevelOptions { EnterAbove = 0.7 }], TimeSpan.Zero));
        Assert.Throws<ArgumentException>(() => new DegradationController(
            [new DegradationLevelOptions { EnterAbove = 0.5, ExitBelow = 0.6 }], TimeSpan.Zero));
    }
}
