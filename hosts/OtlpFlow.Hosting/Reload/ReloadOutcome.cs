namespace OtlpFlow.Hosting.Reload;

/// <summary>What became of a new pipeline spec given to a <see cref="PipelineSupervisor"/>.</summary>
public enum ReloadOutcome
{
    /// <summary>The new pipeline runs; the old one drained first.</summary>
    Applied,

    /// <summary>The spec did not validate; the old pipeline keeps running untouched.</summary>
    Rejected,

    /// <summary>The spec validated but the pipeline failed to start; the old spec was started again.</summary>
    Failed,
}
