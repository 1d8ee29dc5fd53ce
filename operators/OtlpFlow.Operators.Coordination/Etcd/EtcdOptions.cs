namespace OtlpFlow.Operators.Coordination.Etcd;

/// <summary>The <c>"etcd"</c> part of a pipeline's <c>"coordination"</c> section.</summary>
public sealed class EtcdOptions
{
    /// <summary>
    /// The etcd endpoints (<c>http://127.0.0.1:2379</c>). Required. The coordinator talks to the
    /// first one; to survive the loss of an etcd node, list an address that fronts all of them.
    /// </summary>
    public List<string> Endpoints { get; set; } = [];

    /// <summary>
    /// The key prefix this cluster lives under, so that several clusters share one etcd
    /// (<c>/otlpflow/prod</c>). Default <c>/otlpflow</c>.
    /// </summary>
    public string Prefix { get; set; } = "/otlpflow";

    /// <summary>
    /// How long an instance stays a member (and leader) after its last keep-alive: a crashed instance
    /// leaves the membership, and a new leader is elected, within this time. Default <c>10s</c>;
    /// etcd refuses less than about 2s.
    /// </summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(10);

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
