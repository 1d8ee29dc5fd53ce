using Microsoft.AspNetCore.Http;

namespace OtlpFlow.Operators.Otlp.Receiver;

/// <summary>What a receiver reads from a request's headers besides its body.</summary>
/// <param name="Tenant">The value of the <c>tenantFrom</c> header, if any.</param>
/// <param name="HandedOff">
/// The request came from another member's <c>loadbalancing.handoff</c> (header
/// <see cref="LoadBalancing.HandedOff.Header"/>): its spans stay on this member.
/// </param>
internal readonly record struct RequestOrigin(string? Tenant, bool HandedOff)
{
    public static RequestOrigin Of(HttpRequest request, string? tenantFrom)
    {
        var tenant = tenantFrom is { Length: > 0 } key && request.Headers.TryGetValue(key, out var value) && value.Count > 0 ? value[0] : null;
        return new RequestOrigin(tenant, request.Headers.ContainsKey(LoadBalancing.HandedOff.Header));
    }
}
