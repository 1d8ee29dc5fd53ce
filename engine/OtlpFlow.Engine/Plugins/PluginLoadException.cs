namespace OtlpFlow.Engine.Plugins;

/// <summary>A plugin assembly, or one of its dependencies, cannot be loaded; the message names the plugin and the file.</summary>
public sealed class PluginLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PluginLoadException() { }

    /// <summary>Creates the exception.</summary>
    public PluginLoadException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public PluginLoadException(string message, Exception innerException) : base(message, innerException) { }
}
