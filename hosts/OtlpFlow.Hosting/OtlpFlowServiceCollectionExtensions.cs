using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Options;

namespace OtlpFlow.Hosting;

/// <summary>Registers OtlpFlow in a service collection.</summary>
public static class OtlpFlowServiceCollectionExtensions
{
    /// <summary>
    /// Registers an <see cref="OperatorRegistry"/> singleton holding the built-in operators and those
    /// added by <paramref name="configure"/>. Calling it again adds to the same registrations.
    /// </summary>
    public static IServiceCollection AddOtlpFlow(this IServiceCollection services, Action<OtlpFlowBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services
            .Where(d => d.ServiceType == typeof(OtlpFlowBuilder) && !d.IsKeyedService)
            .Select(d => d.ImplementationInstance)
            .OfType<OtlpFlowBuilder>()
            .FirstOrDefault();
        if (builder is null)
        {
            builder = new OtlpFlowBuilder();
            services.AddSingleton(builder);
            services.TryAddSingleton(sp => sp.GetRequiredService<OtlpFlowBuilder>().BuildRegistry());
        }

        configure?.Invoke(builder);
        return services;
    }

    /// <summary>
    /// Runs the pipeline file at <paramref name="pipelinePath"/> for the lifetime of the host
    /// (<see cref="PipelineHostedService"/>); also calls <see cref="AddOtlpFlow"/>. One pipeline per host.
    /// </summary>
    public static IServiceCollection AddOtlpFlowPipeline(this IServiceCollection services, string pipelinePath, Action<OtlpFlowHostOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(pipelinePath);
        services.Configure<OtlpFlowHostOptions>(options =>
        {
            options.PipelinePath = pipelinePath;
            configure?.Invoke(options);
        });
        return AddPipelineService(services);
    }

    /// <summary>
    /// Runs the pipeline file named by the configuration key <c>OtlpFlow:Pipeline</c> for the lifetime of
    /// the host; <c>OtlpFlow:DrainTimeout</c> (a duration such as <c>"20s"</c>) optionally sets
    /// <see cref="OtlpFlowHostOptions.DrainTimeout"/>. <paramref name="configure"/> runs after the
    /// configuration is read, so it can resolve a relative path. Also calls <see cref="AddOtlpFlow"/>.
    /// </summary>
    public static IServiceCollection AddOtlpFlowPipeline(this IServiceCollection services, IConfiguration configuration, Action<OtlpFlowHostOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.Configure<OtlpFlowHostOptions>(options =>
        {
            var section = configuration.GetSection(OtlpFlowHostOptions.SectionName);
            options.PipelinePath = section["Pipeline"];
            if (section["DrainTimeout"] is { Length: > 0 } drain)
            {
                options.DrainTimeout = Duration.TryParse(drain, out var timeout)
                    ? timeout
                    : throw new InvalidOperationException($"configuration '{OtlpFlowHostOptions.SectionName}:DrainTimeout' must be a duration like \"20s\", got \"{drain}\"");
            }

            configure?.Invoke(options);
        });
        return AddPipelineService(services);
    }

    private static IServiceCollection AddPipelineService(IServiceCollection services)
    {
        services.AddOtlpFlow();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PipelineHostedService>());
        services.TryAddSingleton(sp => sp.GetServices<IHostedService>().OfType<PipelineHostedService>().First());
        return services;
    }
}
