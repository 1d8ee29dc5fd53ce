using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Hosting.Tests.Conformance;

/// <summary>
/// Counts the requests a <see cref="ConformanceSource"/> starts and how each was answered: a share
/// that an operator never settles shows as a request created but never settled. It is also the
/// service provider of the pipeline the source runs in.
/// </summary>
public sealed class AckLedger : IServiceProvider, Microsoft.Extensions.DependencyInjection.IKeyedServiceProvider
{
    /// <summary>
    /// The membership <c>"etcd"</c> that <c>loadbalancing.handoff</c>'s example names: this instance
    /// alone, as a one-member back tier.
    /// </summary>
    private readonly OtlpFlow.Operators.Routing.MembershipSet _membership = new(["http://127.0.0.1:4317"]) { Self = "http://127.0.0.1:4317" };

    private long _created;
    private long _settled;
    private long _failed;
    private long _refusedItems;
    private string? _firstError;

    public long Created => Interlocked.Read(ref _created);

    public long Settled => Interlocked.Read(ref _settled);

    /// <summary>Requests answered with an error.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    public long RefusedItems => Interlocked.Read(ref _refusedItems);

    public string? FirstError => Volatile.Read(ref _firstError);

    public object? GetService(Type serviceType) => serviceType == typeof(AckLedger) ? this : null;

    public object? GetKeyedService(Type serviceType, object? serviceKey) =>
        serviceType == typeof(OtlpFlow.Operators.Routing.IMembershipSource) && Equals(serviceKey, "etcd") ? _membership : null;

    public object GetRequiredKeyedService(Type serviceType, object? serviceKey) =>
        GetKeyedService(serviceType, serviceKey) ?? throw new InvalidOperationException($"no {serviceType.Name} named '{serviceKey}'");

    /// <summary>Starts a request of <paramref name="sizeBytes"/> and returns its first share.</summary>
    public Acknowledgement Start(long sizeBytes)
    {
        Interlocked.Increment(ref _created);
        return Acknowledgement.Create(sizeBytes, OnSettled).Share;
    }

    private void OnSettled(AcknowledgementTracker tracker, AcknowledgementResult result)
    {
        Interlocked.Add(ref _refusedItems, result.RefusedItems);
        if (!result.Succeeded)
        {
            Interlocked.Increment(ref _failed);
            Interlocked.CompareExchange(ref _firstError, result.Error?.Message ?? $"{result.FailedItems} items failed", null);
        }

        Interlocked.Increment(ref _settled);
    }

    public override string ToString() =>
        $"requests created {Created}, settled {Settled} (failed {Failed}{(FirstError is null ? string.Empty : $": {FirstError}")}), items refused {RefusedItems}";
}
