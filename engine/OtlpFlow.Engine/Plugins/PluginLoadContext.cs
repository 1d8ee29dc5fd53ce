using System.Reflection;
using System.Runtime.Loader;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Engine.Plugins;

/// <summary>
/// The load context of one plugin assembly. A plugin's dependencies, managed and native, are found
/// through its <c>.deps.json</c> (build the plugin with <c>EnableDynamicLoading</c> so they are copied
/// beside it), and stay private to the plugin. Assemblies the host provides (the engine,
/// Google.Protobuf, Grpc, Microsoft.Extensions.*, the framework, the other OtlpFlow assemblies) are
/// always the host's copies, whatever the version the plugin was built against and even when the
/// plugin's folder has its own: so the host sees the plugin's classes as operators. A plugin path is loaded once per process; loading it again returns the same
/// context.
/// </summary>
public sealed class PluginLoadContext : AssemblyLoadContext
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, PluginLoadContext> Loaded = new(StringComparer.Ordinal);
    private static readonly Lazy<HashSet<string>> HostAssemblies = new(ReadHostAssemblies);

    private readonly AssemblyDependencyResolver _resolver;

    private PluginLoadContext(string pluginPath)
        : base($"plugin {Path.GetFileName(pluginPath)}")
    {
        PluginPath = pluginPath;
        _resolver = new AssemblyDependencyResolver(pluginPath);
        Assembly = LoadFromAssemblyPath(pluginPath);
    }

    /// <summary>The full path of the plugin assembly.</summary>
    public string PluginPath { get; }

    /// <summary>The plugin assembly itself.</summary>
    public Assembly Assembly { get; }

    /// <summary>
    /// Loads the plugin assembly at <paramref name="pluginPath"/> into its own context (or returns the
    /// one already loaded from that path) and checks that its public types load.
    /// </summary>
    /// <exception cref="PluginLoadException">The plugin or one of its dependencies cannot be loaded; the message names both.</exception>
    public static Assembly LoadPlugin(string pluginPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pluginPath);
        var full = Path.GetFullPath(pluginPath);
        lock (Gate)
        {
            if (Loaded.TryGetValue(full, out var existing))
            {
                return existing.Assembly;
            }

            // An assembly the host itself loaded from that very file (its own operators, say) stays the host's.
            if (Default.Assemblies.FirstOrDefault(a => !a.IsDynamic && string.Equals(a.Location, full, StringComparison.Ordinal)) is { } own)
            {
                return own;
            }

            if (!File.Exists(full))
            {
                throw new PluginLoadException($"plugin '{full}' could not be loaded: no such file");
            }

            try
            {
                var context = new PluginLoadContext(full);

                // Listing the public types loads what they derive from: a missing dependency shows here, by name.
                _ = context.Assembly.GetExportedTypes();
                Loaded[full] = context;
                return context.Assembly;
            }
            catch (Exception ex) when (ex is IOException or BadImageFormatException or TypeLoadException or ReflectionTypeLoadException or InvalidOperationException or TypeInitializationException)
            {
                throw new PluginLoadException($"plugin '{full}' could not be loaded: {Describe(ex)}", ex);
            }
        }
    }

    /// <summary>The plugin an assembly was loaded from, or null when it is not a plugin's.</summary>
    public static string? PluginOf(Assembly assembly) =>
        GetLoadContext(assembly ?? throw new ArgumentNullException(nameof(assembly))) is PluginLoadContext plugin ? plugin.PluginPath : null;

    /// <inheritdoc/>
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        ArgumentNullException.ThrowIfNull(assemblyName);

        // The host's copy whenever it has one, whatever version the plugin was built against, so that
        // the types of the operator contract (and of everything else the two share) unify.
        if (assemblyName.Name is { } name && string.IsNullOrEmpty(assemblyName.CultureName))
        {
            if (Default.Assemblies.FirstOrDefault(a => a.GetName().Name == name) is { } loaded)
            {
                return loaded;
            }

            if (HostAssemblies.Value.Contains(name))
            {
                return Default.LoadFromAssemblyName(new AssemblyName(name));
            }
        }

        var path = _resolver.ResolveAssemblyToPath(assemblyName);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    /// <inheritdoc/>
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }

    // The assemblies the host can load: its trusted platform assemblies (the framework and the host's own folder).
    private static HashSet<string> ReadHostAssemblies() =>
        AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string list
            ? list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(p => Path.GetFileNameWithoutExtension(p)).ToHashSet(StringComparer.Ordinal)
            : [];

    /// <summary>
    /// When <paramref name="exception"/> (from an operator's constructor or start) is a plugin's
    /// dependency failing to load, an exception that names the plugin and the file, caused by it;
    /// otherwise <paramref name="exception"/> itself.
    /// </summary>
    internal static Exception Explain(Type operatorType, Exception exception)
    {
        if (PluginOf(operatorType.Assembly) is not { } plugin)
        {
            return exception;
        }

        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is FileNotFoundException or FileLoadException or DllNotFoundException or BadImageFormatException)
            {
                return new PluginLoadException($"plugin '{plugin}': {Describe(e)}", exception);
            }
        }

        return exception;
    }

    private static string Describe(Exception ex) => ex switch
    {
        FileNotFoundException { FileName: { } file } => $"missing file '{file}' (not beside the plugin, not listed in its .deps.json, not provided by the host)",
        FileLoadException { FileName: { } file } => $"cannot load '{file}': {ex.Message}",
        DllNotFoundException => "a native library could not be loaded (it belongs under runtimes/<rid>/native beside the plugin, listed in its .deps.json)",
        ReflectionTypeLoadException { LoaderExceptions: { Length: > 0 } inner } when inner[0] is { } first => Describe(first),
        _ => ExceptionText.Chain(ex),
    };
}
