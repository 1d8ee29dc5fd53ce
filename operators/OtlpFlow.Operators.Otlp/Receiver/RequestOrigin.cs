using Microsoft.AspNetCore.Http;

namespace OtlpFlow.Operators.Otlp.Receiver;

/// <summary>What a receiver reads from a request's headers besides its body.</summary>
/// <param name="Tenant">The value of the <c>tenantFrom</c> header, if any.</param>
/// <param name="HandedOff">
/// The request came from another member's <c>loadbalancing.handoff</c> (header
/// <see cref="LoadBalancing.HandedOff.Header"/>): its spans stay on this member.
/// </param>
/// <param name="Age">
/// How long ago the tier first received the data (header <see cref="LoadBalancing.HandedOff.AgeHeader"/>,
/// in milliseconds, set by the instance that sent it on); zero when absent.
/// </param>
internal readonly record struct RequestOrigin(string? Tenant, bool HandedOff, TimeSpan Age)
{
    /// <summary>The longest age taken from a header; more is taken as this.</summary>
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(10);

    public static RequestOrigin Of(HttpRequest request, string? tenantFrom)
    {
        var tenant = tenantFrom is { Length: > 0 } key && request.Headers.TryGetValue(key, out var value) && value.Count > 0 ? value[0] : null;
        var age = request.Headers.TryGetValue(LoadBalancing.HandedOff.AgeHeader, out var ageText) && ageText.Count > 0
            && long.TryParse(ageText[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms)
            ? TimeSpan.FromMilliseconds(Math.Min(ms, (long)MaxAge.TotalMilliseconds))
            : TimeSpan.Zero;
        return new RequestOrigin(tenant, request.Headers.ContainsKey(LoadBalancing.HandedOff.Header), age);
    }
}
