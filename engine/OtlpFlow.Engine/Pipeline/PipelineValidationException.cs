namespace OtlpFlow.Engine.Pipeline;

/// <summary>A pipeline file has problems; <see cref="Errors"/> lists every one of them.</summary>
public sealed class PipelineValidationException : Exception
{
    /// <summary>Creates the exception from the problems found.</summary>
    public PipelineValidationException(IReadOnlyList<PipelineError> errors)
        : base(BuildMessage(errors)) => Errors = errors;

    /// <summary>Creates the exception.</summary>
    public PipelineValidationException() : this([]) { }

    /// <summary>Creates the exception.</summary>
    public PipelineValidationException(string message) : base(message) => Errors = [];

    /// <summary>Creates the exception.</summary>
    public PipelineValidationException(string message, Exception innerException) : base(message, innerException) => Errors = [];

    /// <summary>Every problem found, in file order.</summary>
    public IReadOnlyList<PipelineError> Errors { get; }

    private static string BuildMessage(IReadOnlyList<PipelineError> errors) =>
        errors.Count == 0 ? "The pipeline is not valid." : $"The pipeline has {errors.Count} problem(s):{Environment.NewLine}" + string.Join(Environment.NewLine, errors);
}
