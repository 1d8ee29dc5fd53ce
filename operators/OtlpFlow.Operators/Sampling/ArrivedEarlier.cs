namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// A batch attachment: its spans reached the tier <see cref="Age"/> before this instance received
/// them (another instance received them first and sent them on: a front balancing by trace id, or
/// a member handing them over). <c>sampling.tail</c> counts a new trace's <c>decisionWait</c> from
/// then, so data sent on after a member died does not wait a whole <c>decisionWait</c> again.
/// </summary>
/// <param name="Age">How long ago the tier received the spans; never negative.</param>
public sealed record ArrivedEarlier(TimeSpan Age);
