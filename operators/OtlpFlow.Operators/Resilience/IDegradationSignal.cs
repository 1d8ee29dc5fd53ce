namespace OtlpFlow.Operators.Resilience;

/// <summary>
/// A load reading that <c>resilience.degradation</c> can take from outside the operator: the
/// coordination layer's load monitor registers itself as the keyed service
/// <see cref="DegradationSignalOptions.LoadSignalName"/> (<c>"load"</c>), which the operator reads
/// when its <c>signals.load</c> is on.
/// </summary>
public interface IDegradationSignal
{
    /// <summary>The load now, from 0 (idle) to 1 (saturated). Called on the operator's interval; answers from memory.</summary>
    double Read();
}
