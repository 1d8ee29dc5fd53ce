namespace OtlpFlow.Hosting;

/// <summary>How a run of a pipeline ended.</summary>
public enum PipelineRunOutcome
{
    /// <summary>Every source finished and the graph drained by itself.</summary>
    Completed,

    /// <summary>The requested duration passed; the pipeline was stopped and drained.</summary>
    DurationElapsed,

    /// <summary>The caller cancelled (Ctrl+C, host shutdown); the pipeline was stopped and drained.</summary>
    Cancelled,

    /// <summary>An operator failed fatally; <see cref="PipelineRunResult.FailedOperatorId"/> names it.</summary>
    Faulted,

    /// <summary>The pipeline file could not be read or is not valid; <see cref="PipelineRunResult.Errors"/> lists why.</summary>
    Invalid,
}
