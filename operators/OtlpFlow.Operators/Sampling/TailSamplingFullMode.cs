namespace OtlpFlow.Operators.Sampling;

/// <summary>What <c>sampling.tail</c> does when <c>maxTraces</c> or <c>maxBytes</c> is reached.</summary>
public enum TailSamplingFullMode
{
    /// <summary>Decide the oldest undecided traces now, with the policies, until the new data fits (counted as early decisions).</summary>
    DecideEarly,

    /// <summary>Hold upstream back until decisions made on time free room.</summary>
    Block,
}
