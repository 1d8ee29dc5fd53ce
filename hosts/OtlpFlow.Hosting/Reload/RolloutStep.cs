namespace OtlpFlow.Hosting.Reload;

/// <summary>One instance's part in applying a config from etcd.</summary>
/// <param name="MemberId">The instance.</param>
/// <param name="Config">A short hash of the config text.</param>
/// <param name="Status"><c>healthy</c>, <c>unhealthy</c>, <c>rejected</c> or <c>skipped</c> (the rollout was halted by another instance's failure).</param>
/// <param name="Started">When the instance began (after taking the rollout lock when rolling).</param>
/// <param name="Finished">When it reported its status.</param>
public sealed record RolloutStep(string MemberId, string Config, string Status, DateTimeOffset Started, DateTimeOffset Finished);
