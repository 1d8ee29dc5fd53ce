namespace OtlpFlow.Operators.Coordination.Etcd;

/// <summary>The <c>"etcd"</c> part of a pipeline's <c>"coordination"</c> section.</summary>
public sealed class EtcdOptions
{
    /// <summary>
    /// The etcd endpoints (<c>http://127.0.0.1:2379</c>), all <c>http://</c> or all <c>https://</c>.
    /// Required. List every node of the etcd cluster: the coordinator connects to the first that
    /// accepts, in the order given, and when that connection is lost it connects again, trying them
    /// in order, so the loss of a node (or a dead address in the list) only delays changes.
    /// </summary>
    public List<string> Endpoints { get; set; } = [];

    /// <summary>
    /// The key prefix this cluster lives under, so that several clusters share one etcd
    /// (<c>/otlpflow/prod</c>). Default <c>/otlpflow</c>.
    /// </summary>
    public string Prefix { get; set; } = "/otlpflow";

    /// <summary>
    /// The longest an instance that died stays a member (and the leader): a crashed instance leaves
    /// the membership, and if it led another instance is elected, within this time of its death.
    /// Default <c>10s</c>; at least <see cref="MinimumLeaseTtl"/> (3s).
    /// </summary>
    /// <remarks>
    /// The lease granted in etcd is shorter than this by <see cref="ExpiryMargin"/>, rounded down to
    /// whole seconds (etcd counts leases in seconds) and at least 2s (etcd's own floor with its
    /// default election timeout): 10s grants 9s, 3s grants 2s. The margin is what a lease takes to
    /// end once its time is up: etcd looks for expired leases every 500ms, then commits the
    /// revocation and tells the watchers. A keep-alive may have refreshed the lease just before the
    /// instance died, so a dead leader's lease runs for the whole granted TTL; with the margin the
    /// next leader is known within this value. Keep-alives go every third of the granted TTL. An
    /// etcd with a longer election timeout may raise the grant; the coordinator logs a warning with
    /// the bound that then holds.
    /// </remarks>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How much shorter than <see cref="LeaseTtl"/> the lease granted in etcd is: 1s.</summary>
    public static TimeSpan ExpiryMargin { get; } = TimeSpan.FromSeconds(1);

    /// <summary>The shortest <see cref="LeaseTtl"/>: 3s (etcd's 2s floor plus <see cref="ExpiryMargin"/>).</summary>
    public static TimeSpan MinimumLeaseTtl { get; } = TimeSpan.FromSeconds(3);

    /// <summary>The lease TTL, in whole seconds, granted in etcd for <paramref name="leaseTtl"/>: see <see cref="LeaseTtl"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="leaseTtl"/> is less than <see cref="MinimumLeaseTtl"/>.</exception>
    public static long GrantedSeconds(TimeSpan leaseTtl)
    {
        if (leaseTtl < MinimumLeaseTtl)
        {
            throw new ArgumentOutOfRangeException(nameof(leaseTtl), leaseTtl, $"'etcd.leaseTtl' must be at least {MinimumLeaseTtl.TotalSeconds:F0}s (etcd grants leases of 2s at least, and needs about 1s to end an expired one), got {leaseTtl.TotalSeconds:0.###}s");
        }

        return Math.Max(2, (long)Math.Floor((leaseTtl - ExpiryMargin).TotalSeconds));
    }

    /// <summary>
    /// The cluster prefix whose members feed this instance's <c>"etcd"</c> membership source.
    /// Default: this instance's own <see cref="Prefix"/>. A front tier that load-balances to a
    /// back tier sets it to the back tier's prefix (<c>/otlpflow/prod/sampling</c>), so that its
    /// <c>loadbalancing</c> follows the back tier's instances.
    /// </summary>
    public string? MembersOf { get; set; }

    /// <summary>
    /// This instance's name in the membership. Default: the host name and process id.
    /// </summary>
    public string? MemberId { get; set; }

    /// <summary>
    /// What this instance publishes as its member value: what peers route to (an OTLP endpoint such
    /// as <c>http://10.0.0.5:4317</c> for <c>loadbalancing</c>, or a port name for
    /// <c>partition.consistentHash</c>). Default: the member id.
    /// </summary>
    public string? Advertise { get; set; }
}
