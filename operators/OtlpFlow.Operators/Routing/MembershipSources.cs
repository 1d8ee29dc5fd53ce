using Microsoft.Extensions.DependencyInjection;

namespace OtlpFlow.Operators.Routing;

/// <summary>Finds a named <see cref="IMembershipSource"/> among an operator's services.</summary>
internal static class MembershipSources
{
    /// <summary>The keyed <see cref="IMembershipSource"/> registered under <paramref name="name"/>.</summary>
    /// <exception cref="InvalidOperationException">None is registered under that name; the message says what to do.</exception>
    public static IMembershipSource Resolve(IServiceProvider services, string name, string operatorId)
    {
        ArgumentNullException.ThrowIfNull(services);
        var found = services is IKeyedServiceProvider keyed ? keyed.GetKeyedService(typeof(IMembershipSource), name) as IMembershipSource : null;
        return found ?? throw new InvalidOperationException(
            $"operator '{operatorId}': no membership source named '{name}' is registered; register one with services.AddKeyedSingleton<IMembershipSource>(\"{name}\", ...) or remove 'membership' to use the static members");
    }
}
