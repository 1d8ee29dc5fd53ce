using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Hosting;

/// <summary>How long a <see cref="PipelineRunner"/> run lasts, and what watches it.</summary>
public sealed class PipelineRunOptions
{
    /// <summary>Stop (gracefully) after this long; null (the default) runs until the sources finish or the caller cancels.</summary>
    public TimeSpan? Duration { get; set; }

    /// <summary>The drain deadline of a stop; null (the default) uses the pipeline file's <c>drainTimeout</c>.</summary>
    public TimeSpan? DrainTimeout { get; set; }

    /// <summary>
    /// Runs beside the started pipeline (a progress display, a metrics exporter); its token is cancelled
    /// once the pipeline has finished and drained, and the run waits for it to return. Null by default.
    /// </summary>
    public Func<RunningPipeline, CancellationToken, Task>? WhileRunning { get; set; }
}
