namespace OtlpFlow.Operators.Otlp.LoadBalancing;

/// <summary>How <c>loadbalancing</c> chooses the member a batch goes to.</summary>
public enum BalanceMode
{
    /// <summary>
    /// By the items' key (the trace id by default), with rendezvous hashing: every item of a key
    /// reaches the same member, so a tail sampler behind sees whole traces.
    /// </summary>
    Hash,

    /// <summary>
    /// Whole batches to the member whose published load is lowest. Items of one trace may reach
    /// different members: for a back tier that keeps no per-trace state.
    /// </summary>
    LeastLoaded,
}
