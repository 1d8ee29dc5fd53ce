namespace OtlpFlow.Engine.Pipeline;

/// <summary>One problem found in a pipeline file, located for an editor.</summary>
/// <param name="File">The file's path, or null for text that came from elsewhere.</param>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column.</param>
/// <param name="OperatorId">The operator concerned, or null for a pipeline-level problem.</param>
/// <param name="JsonPath">The JSON path of the offending value (<c>$.operators.tail.decisionWait</c>).</param>
/// <param name="Message">What is wrong and, where it can be guessed, what was meant.</param>
public sealed record PipelineError(string? File, int Line, int Column, string? OperatorId, string JsonPath, string Message)
{
    /// <summary><c>file:line:column: operator 'id': message</c>, as compilers print errors.</summary>
    public override string ToString() =>
        $"{File ?? "<pipeline>"}:{Line}:{Column}: {(OperatorId is null ? string.Empty : $"operator '{OperatorId}': ")}{Message}";
}
