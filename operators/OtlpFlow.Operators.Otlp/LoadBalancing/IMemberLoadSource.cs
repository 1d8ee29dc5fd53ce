namespace OtlpFlow.Operators.Otlp.LoadBalancing;

/// <summary>
/// How loaded each member is, as its instances publish it: what <c>loadbalancing</c> with
/// <c>"balance": "leastLoaded"</c> ranks members by. The coordination layer implements it from the
/// load reports in etcd and registers it as the keyed service <c>"etcd"</c>; register another
/// under a name (<c>services.AddKeyedSingleton&lt;IMemberLoadSource&gt;("name", ...)</c>) and name it
/// in the operator's <c>load</c> option.
/// </summary>
/// <remarks>Called for every batch from several threads: implementations answer from memory, without waiting.</remarks>
public interface IMemberLoadSource
{
    /// <summary>
    /// The load score of <paramref name="member"/> (as the membership names it: its endpoint), from
    /// 0 (idle) to 1 (saturated).
    /// </summary>
    /// <returns>False when the member has no report, or only one too old to trust.</returns>
    bool TryGetLoad(string member, out double score);
}
