namespace OtlpFlow.Operators.Coordination.Canary;

/// <summary>Where a canary stands.</summary>
public enum CanaryState
{
    /// <summary>A fraction of the traffic goes to the candidate while it is compared.</summary>
    Running,

    /// <summary>The candidate did as well as the stable version: it gets all the traffic.</summary>
    Promoted,

    /// <summary>The candidate lost more data than allowed: the stable version gets all the traffic.</summary>
    RolledBack,
}
