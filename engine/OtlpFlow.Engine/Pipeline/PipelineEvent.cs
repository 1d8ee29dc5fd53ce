namespace OtlpFlow.Engine.Pipeline;

/// <summary>Something that happened to a running pipeline, published on <see cref="RunningPipeline.Events"/>.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="OperatorId">The operator concerned, if any.</param>
/// <param name="Message">A line for a person.</param>
/// <param name="Time">When, by the pipeline's clock.</param>
public sealed record PipelineEvent(PipelineEventKind Kind, string? OperatorId, string Message, DateTimeOffset Time);

/// <summary>Kinds of <see cref="PipelineEvent"/>.</summary>
public enum PipelineEventKind
{
    /// <summary>Every operator started; data flows.</summary>
    Started,

    /// <summary>Stop was requested; sources are finishing and the graph drains.</summary>
    Draining,

    /// <summary>An operator finished: a source ran out, or a processor drained.</summary>
    OperatorCompleted,

    /// <summary>A batch failed in an operator (the pipeline goes on).</summary>
    BatchFailed,

    /// <summary>An operator's <c>TickAsync</c> threw (the ticks and the pipeline go on).</summary>
    TickFailed,

    /// <summary>
    /// An operator drained with items in + returned + created ≠ items out + dropped: it lost or
    /// made items without counting them.
    /// </summary>
    Unbalanced,

    /// <summary>An operator failed fatally; the pipeline stops.</summary>
    Faulted,

    /// <summary>The drain deadline passed; in-flight work was abandoned.</summary>
    Aborted,

    /// <summary>The pipeline has finished.</summary>
    Stopped,
}
