namespace OtlpFlow.Operators.Coordination.Canary;

/// <summary>A canary's decision, with the figures it was made on.</summary>
/// <param name="State">Promoted or rolled back.</param>
/// <param name="Stable">The stable branch's figures over the window.</param>
/// <param name="Candidate">The candidate branch's figures over the window.</param>
/// <param name="Tolerance">The allowed extra loss ratio.</param>
public sealed record CanaryVerdict(CanaryState State, BranchFigures Stable, BranchFigures Candidate, double Tolerance)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{State}: candidate {Candidate.Items} items, drop {Candidate.DropRate:P2}, error {Candidate.ErrorRate:P2}; " +
        $"stable {Stable.Items} items, drop {Stable.DropRate:P2}, error {Stable.ErrorRate:P2}; tolerance {Tolerance:P2}";
}
