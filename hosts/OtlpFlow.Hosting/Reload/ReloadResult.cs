using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Hosting.Reload;

/// <summary>The result of one reload, also published on <see cref="PipelineSupervisor.Reloads"/>.</summary>
/// <param name="Outcome">Applied, rejected or failed.</param>
/// <param name="Generation">The generation running afterwards (1 for the first pipeline; unchanged when not applied).</param>
/// <param name="Errors">Why the spec was rejected (every problem), or why it failed to start.</param>
/// <param name="Drained">True when the retired pipeline drained within its deadline (nothing abandoned).</param>
/// <param name="Retired">The conservation counters of the pipeline that was replaced, by operator id; empty when none was.</param>
public sealed record ReloadResult(
    ReloadOutcome Outcome,
    int Generation,
    IReadOnlyList<PipelineError> Errors,
    bool Drained,
    IReadOnlyDictionary<string, OperatorCounters> Retired);
