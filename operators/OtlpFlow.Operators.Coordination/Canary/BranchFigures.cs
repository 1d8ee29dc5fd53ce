namespace OtlpFlow.Operators.Coordination.Canary;

/// <summary>What one branch of a canary settled in a window.</summary>
/// <param name="Items">Items whose acknowledgement settled.</param>
/// <param name="Dropped">Of those, items refused by a policy (dropped).</param>
/// <param name="Failed">Of those, items that failed (errors).</param>
public readonly record struct BranchFigures(long Items, long Dropped, long Failed)
{
    /// <summary>Dropped items over settled items (0 with none).</summary>
    public double DropRate => Items == 0 ? 0 : (double)Dropped / Items;

    /// <summary>Failed items over settled items (0 with none).</summary>
    public double ErrorRate => Items == 0 ? 0 : (double)Failed / Items;

    /// <summary>Dropped and failed items over settled items.</summary>
    public double LossRate => DropRate + ErrorRate;
}
