using System.Reflection;
using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Hosting;

/// <summary>
/// Collects the operator types a host offers to its pipelines: the built-in operator assemblies
/// (unless <see cref="IncludeBuiltInOperators"/> is turned off) plus whatever is added here.
/// Each registration is checked when it is made, so a mistake surfaces at the line that made it.
/// </summary>
public sealed class OtlpFlowBuilder
{
    /// <summary>Assemblies of operators shipped with OtlpFlow; those the host does not reference are skipped.</summary>
    public static readonly IReadOnlyList<string> BuiltInAssemblyNames =
    [
        "OtlpFlow.Operators",
        "OtlpFlow.Operators.Otlp",
        "OtlpFlow.Operators.Arrow",
        "OtlpFlow.Operators.Coordination",
    ];

    private static readonly Lazy<IReadOnlyList<Assembly>> BuiltIns = new(LoadBuiltIns);

    // Registrations are kept in their own registry so that duplicates and non-operator classes are
    // refused at once, and copied into a fresh registry by BuildRegistry (plugins loaded by one
    // pipeline then never leak into another host's registry).
    private readonly OperatorRegistry _added = new();

    /// <summary>Whether the built-in operators are registered; true by default.</summary>
    public bool IncludeBuiltInOperators { get; set; } = true;

    /// <summary>The built-in operator assemblies that this process can load.</summary>
    public static IReadOnlyList<Assembly> BuiltInAssemblies => BuiltIns.Value;

    /// <summary>Registers <typeparamref name="TOperator"/> under <paramref name="type"/>; it takes no options.</summary>
    /// <exception cref="ArgumentException">The name is already taken by another class.</exception>
    public OtlpFlowBuilder AddOperator<TOperator>(string type, string? description = null)
        where TOperator : OperatorBase
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        _added.AddOperator<TOperator>(type, description);
        return this;
    }

    /// <summary>Registers <typeparamref name="TOperator"/> under <paramref name="type"/>, its options bound to <typeparamref name="TOptions"/>.</summary>
    /// <exception cref="ArgumentException">The name is already taken by another class.</exception>
    public OtlpFlowBuilder AddOperator<TOperator, TOptions>(string type, string? description = null)
        where TOperator : OperatorBase
        where TOptions : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        _added.AddOperator<TOperator, TOptions>(type, description);
        return this;
    }

    /// <summary>Registers every class of <paramref name="assembly"/> marked with <see cref="OperatorAttribute"/>.</summary>
    public OtlpFlowBuilder AddAssembly(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        _added.AddAssembly(assembly);
        return this;
    }

    /// <summary>Makes a new registry holding the built-ins (when included) and every registration made here.</summary>
    /// <exception cref="ArgumentException">A registration here uses the name of a different built-in class.</exception>
    public OperatorRegistry BuildRegistry()
    {
        var registry = new OperatorRegistry();
        if (IncludeBuiltInOperators)
        {
            foreach (var assembly in BuiltInAssemblies)
            {
                registry.AddAssembly(assembly);
            }
        }

        foreach (var descriptor in _added.Operators)
        {
            registry.Add(descriptor);
        }

        return registry;
    }

    private static List<Assembly> LoadBuiltIns()
    {
        var assemblies = new List<Assembly>();
        foreach (var name in BuiltInAssemblyNames)
        {
            try
            {
                assemblies.Add(Assembly.Load(new AssemblyName(name)));
            }
            catch (FileNotFoundException)
            {
                // Not referenced by this host: its operators are simply not offered.
            }
        }

        return assemblies;
    }
}
