using System.Reflection;

namespace OtlpFlow.Engine.Operators;

/// <summary>
/// The operator types a pipeline may use, by name. Fill it from assemblies
/// (<see cref="AddAssembly"/>, which finds classes marked <see cref="OperatorAttribute"/>) or one by one
/// (<see cref="AddOperator{TOperator}"/>). Not thread-safe while being filled; read-only afterwards.
/// </summary>
public sealed class OperatorRegistry
{
    private readonly Dictionary<string, OperatorDescriptor> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Type> _schedulers = new(StringComparer.Ordinal);

    /// <summary>Every registered operator, by name.</summary>
    public IReadOnlyCollection<OperatorDescriptor> Operators => _byName.Values;

    /// <summary>Task schedulers operators may run on (the <c>"scheduler"</c> key), by name.</summary>
    public IReadOnlyDictionary<string, Type> Schedulers => _schedulers;

    /// <summary>Registers a <see cref="TaskScheduler"/> class under <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The class is not a concrete TaskScheduler, or the name is taken by another class.</exception>
    public OperatorRegistry AddScheduler(string name, Type schedulerType)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(schedulerType);
        if (!typeof(TaskScheduler).IsAssignableFrom(schedulerType) || schedulerType.IsAbstract)
        {
            throw new ArgumentException($"'{schedulerType.FullName}' is not a concrete TaskScheduler class.", nameof(schedulerType));
        }

        if (_schedulers.TryGetValue(name, out var existing) && existing != schedulerType)
        {
            throw new ArgumentException($"Scheduler '{name}' is registered twice: by '{existing.FullName}' and by '{schedulerType.FullName}'.", nameof(name));
        }

        _schedulers[name] = schedulerType;
        return this;
    }

    /// <summary>Registers <typeparamref name="TOperator"/> under <paramref name="type"/> with no options.</summary>
    public OperatorRegistry AddOperator<TOperator>(string type, string? description = null)
        where TOperator : OperatorBase =>
        Add(new OperatorDescriptor(type, typeof(TOperator), null, description));

    /// <summary>Registers <typeparamref name="TOperator"/> under <paramref name="type"/>, bound from <typeparamref name="TOptions"/>.</summary>
    public OperatorRegistry AddOperator<TOperator, TOptions>(string type, string? description = null)
        where TOperator : OperatorBase
        where TOptions : class =>
        Add(new OperatorDescriptor(type, typeof(TOperator), typeof(TOptions), description));

    /// <summary>Registers every class of <paramref name="assembly"/> marked with <see cref="OperatorAttribute"/> or <see cref="SchedulerAttribute"/>.</summary>
    public OperatorRegistry AddAssembly(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        foreach (var type in assembly.GetExportedTypes())
        {
            if (type.GetCustomAttribute<OperatorAttribute>() is { } attribute)
            {
                Add(new OperatorDescriptor(attribute.Type, type, attribute.Options, attribute.Description));
            }

            if (type.GetCustomAttribute<SchedulerAttribute>() is { } scheduler)
            {
                AddScheduler(scheduler.Name, type);
            }
        }

        return this;
    }

    /// <summary>Registers one descriptor.</summary>
    /// <exception cref="ArgumentException">The class is not a concrete operator, or the name is taken by another class.</exception>
    public OperatorRegistry Add(OperatorDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (!typeof(OperatorBase).IsAssignableFrom(descriptor.OperatorType) || descriptor.OperatorType.IsAbstract)
        {
            throw new ArgumentException($"'{descriptor.OperatorType.FullName}' is not a concrete operator class (derive from SourceOperator, ProcessorOperator or SinkOperator).", nameof(descriptor));
        }

        if (_byName.TryGetValue(descriptor.Type, out var existing) && existing.OperatorType != descriptor.OperatorType)
        {
            throw new ArgumentException($"Operator type '{descriptor.Type}' is registered twice: by '{existing.OperatorType.FullName}' and by '{descriptor.OperatorType.FullName}'.", nameof(descriptor));
        }

        _byName[descriptor.Type] = descriptor;
        return this;
    }

    /// <summary>Finds an operator type by name.</summary>
    public bool TryGet(string type, out OperatorDescriptor descriptor) => _byName.TryGetValue(type, out descriptor!);
}
