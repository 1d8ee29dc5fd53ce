using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Hosting;

/// <summary>What a <see cref="PipelineRunner"/> run ended with.</summary>
public sealed class PipelineRunResult
{
    /// <summary>How the run ended.</summary>
    public required PipelineRunOutcome Outcome { get; init; }

    /// <summary>The pipeline's name, when the file could be read.</summary>
    public string? PipelineName { get; init; }

    /// <summary>The operators and their final counters, in file order; empty when the pipeline was never built.</summary>
    public IReadOnlyList<OperatorReport> Operators { get; init; } = [];

    /// <summary>The problems of an <see cref="PipelineRunOutcome.Invalid"/> file, in file order.</summary>
    public IReadOnlyList<PipelineError> Errors { get; init; } = [];

    /// <summary>The operator that failed, for <see cref="PipelineRunOutcome.Faulted"/>.</summary>
    public string? FailedOperatorId { get; init; }

    /// <summary>Why the operator failed, for <see cref="PipelineRunOutcome.Faulted"/>.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>The fault, for <see cref="PipelineRunOutcome.Faulted"/>.</summary>
    public Exception? Exception { get; init; }

    /// <summary>False when a stop's drain deadline passed and in-flight work was abandoned.</summary>
    public bool Drained { get; init; } = true;

    /// <summary>Time from start to the end of the drain.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>True unless the pipeline faulted or was invalid.</summary>
    public bool Succeeded => Outcome is PipelineRunOutcome.Completed or PipelineRunOutcome.DurationElapsed or PipelineRunOutcome.Cancelled;
}
