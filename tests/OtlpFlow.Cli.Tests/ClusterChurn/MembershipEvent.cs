namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>A back-tier member key appearing (or changing lease) or disappearing in etcd.</summary>
/// <param name="At">Seconds after the load started (negative: before it).</param>
/// <param name="MemberId">The member id, the last part of the key.</param>
/// <param name="Lease">The key's lease.</param>
/// <param name="Registered">True when the key appeared or took a new lease; false when it went.</param>
internal sealed record MembershipEvent(double At, string MemberId, long Lease, bool Registered);
