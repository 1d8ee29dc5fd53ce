using System.Text.Json.Nodes;

namespace OtlpFlow.Engine.Pipeline;

/// <summary>One operator as declared in a pipeline file.</summary>
public sealed class OperatorSpec
{
    /// <summary>The operator's id (its key under <c>"operators"</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The registered type name.</summary>
    public required string Type { get; init; }

    /// <summary>Where its data comes from.</summary>
    public IReadOnlyList<InputRef> Inputs { get; init; } = [];

    /// <summary>Bounded capacity of its input, in batches; null for the pipeline default.</summary>
    public int? Capacity { get; init; }

    /// <summary>Batches processed at once; null for the pipeline default (1).</summary>
    public int? Parallelism { get; init; }

    /// <summary>Whether outputs keep input order when <see cref="Parallelism"/> is above 1; null for the default (true).</summary>
    public bool? Ordered { get; init; }

    /// <summary>The registered task scheduler its work runs on; null for the thread pool.</summary>
    public string? Scheduler { get; init; }

    /// <summary>Every key that is not reserved: the operator's options.</summary>
    public JsonObject Options { get; init; } = [];

    /// <summary>The JSON path of this operator's declaration.</summary>
    public string JsonPath => $"$.operators.{Id}";
}
