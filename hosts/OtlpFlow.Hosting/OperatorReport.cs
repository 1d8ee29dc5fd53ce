using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Hosting;

/// <summary>One operator of a pipeline and what flowed through it.</summary>
/// <param name="Id">The operator's id.</param>
/// <param name="Type">Its registered type name.</param>
/// <param name="Kind">Source, processor or sink (for a sink, "out" means delivered).</param>
/// <param name="Counters">Its live counters; final once the pipeline has finished.</param>
public sealed record OperatorReport(string Id, string Type, OperatorKind Kind, OperatorCounters Counters)
{
    /// <summary>The operators of <paramref name="pipeline"/> in file order.</summary>
    public static IReadOnlyList<OperatorReport> For(RunningPipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var operators = pipeline.Operators;
        var counters = pipeline.Counters;
        return pipeline.OperatorIds
            .Select(id => new OperatorReport(id, operators[id].Context.Type, operators[id].Kind, counters[id]))
            .ToArray();
    }
}
