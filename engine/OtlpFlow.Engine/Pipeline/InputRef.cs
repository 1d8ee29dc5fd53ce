namespace OtlpFlow.Engine.Pipeline;

/// <summary>A reference to an operator's output port: <c>"id"</c> (port <c>out</c>) or <c>"id.port"</c>.</summary>
/// <param name="OperatorId">The upstream operator.</param>
/// <param name="Port">Its port.</param>
public readonly record struct InputRef(string OperatorId, string Port)
{
    /// <summary>Reads <c>"id"</c> or <c>"id.port"</c>. Operator ids contain no dots, so the first dot separates the port.</summary>
    public static InputRef Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? new InputRef(text, Operators.IOperatorOutput.DefaultPort) : new InputRef(text[..dot], text[(dot + 1)..]);
    }

    /// <inheritdoc />
    public override string ToString() => Port == Operators.IOperatorOutput.DefaultPort ? OperatorId : $"{OperatorId}.{Port}";
}
