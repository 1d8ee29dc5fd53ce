using System.CommandLine;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Plugins;

namespace OtlpFlow.Cli.Commands;

/// <summary><c>--plugin &lt;dll&gt;</c> (repeatable): the commands that describe operators include a plugin's too.</summary>
internal static class PluginOption
{
    /// <summary>The option.</summary>
    public static Option<string[]> Create() => new("--plugin")
    {
        Description = "A plugin assembly whose operators to include, as a pipeline's \"plugins\" would load it (repeatable).",
        HelpName = "dll",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>
    /// The environment's operators plus those of every plugin; null, after printing why to the error
    /// writer, when a plugin cannot be loaded.
    /// </summary>
    public static OperatorRegistry? CreateRegistry(CliEnvironment environment, IReadOnlyList<string>? plugins)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var registry = environment.CreateRegistry();
        foreach (var plugin in plugins ?? [])
        {
            try
            {
                registry.AddAssembly(PluginLoadContext.LoadPlugin(plugin));
            }
            catch (PluginLoadException ex)
            {
                environment.Error.WriteLine($"error: {ex.Message}");
                return null;
            }
            catch (ArgumentException ex)
            {
                environment.Error.WriteLine($"error: plugin '{plugin}' could not be registered: {ex.Message}");
                return null;
            }
        }

        return registry;
    }
}
