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

    /// <summary>Every registered operator, by name.</summary>
    public IReadOnlyCollection<OperatorDescriptor> Operators => _byName.Values;

    /// <summary>Registers <typeparamref name="TOperator"/> under <paramref name="type"/> with no options.</summary>
    public OperatorRegistry AddOperator<TOperator>(string type, string? description = null)
        where TOperator : OperatorBase =>
        Add(new OperatorDescriptor(type, typeof(TOperator), null, description));

    /// <summary>Registers <typeparamref name="TOperator"/> under <paramref name="type"/>, bound from <typeparamref name="TOptions"/>.</summary>
    public OperatorRegistry AddOperator<TOperator, TOptions>(string type, string? description = null)
        where TOperator : OperatorBase
        where TOptions : class =>
        Add(new OperatorDescriptor(type, typeof(TOperator), typeof(TOptions), description));

    /// <summary>Registers every class of <paramref name="assembly"/> marked with <see cref="OperatorAttribute"/>.</summary>
    public OperatorRegistry AddAssembly(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        foreach (var type in assembly.GetExportedTypes())
        {
            if (type.GetCustomAttribute<OperatorAttribute>() is { } attribute)
            {
                Add(new OperatorDescriptor(attribute.Type, type, attribute.Options, attribute.Description));
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
