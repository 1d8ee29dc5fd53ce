namespace OtlpFlow.Operators.Resilience;

/// <summary>A change of degradation level, published on <see cref="DegradationController.LevelChanges"/>.</summary>
/// <param name="Controller">The controller's name.</param>
/// <param name="From">The level before (0 is normal operation).</param>
/// <param name="To">The level now.</param>
/// <param name="Name">The new level's name (<c>normal</c> for 0).</param>
/// <param name="Load">The load that caused the change.</param>
/// <param name="At">When, by the controller's clock.</param>
public sealed record DegradationLevelChange(string Controller, int From, int To, string Name, double Load, DateTimeOffset At);
