namespace OtlpFlow.Engine.Operators;

/// <summary>Where an operator sits in a graph.</summary>
public enum OperatorKind
{
    /// <summary>Makes data: receivers and generators. Has no inputs.</summary>
    Source,

    /// <summary>Takes batches in and sends batches out.</summary>
    Processor,

    /// <summary>Takes batches in and sends them out of the pipeline: exporters and writers.</summary>
    Sink,
}
