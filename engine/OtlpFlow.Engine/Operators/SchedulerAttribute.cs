namespace OtlpFlow.Engine.Operators;

/// <summary>
/// Registers a <see cref="TaskScheduler"/> class under a name that any operator can run on through
/// the reserved <c>"scheduler"</c> key (<c>"scheduler": "workStealing"</c>). The class needs a public
/// constructor the host's services can satisfy; one instance serves a whole pipeline and is disposed
/// with it when it is <see cref="IDisposable"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class SchedulerAttribute(string name) : Attribute
{
    /// <summary>The name used in a pipeline file's <c>"scheduler"</c> key.</summary>
    public string Name { get; } = name;
}
