namespace OtlpFlow.Operators.Generator;

/// <summary>A database operation a synthetic service runs.</summary>
/// <param name="Operation">The operation name (<c>db.operation.name</c>).</param>
/// <param name="Collection">The table or collection (<c>db.collection.name</c>).</param>
/// <param name="SpanName">The client span name.</param>
/// <param name="Text">The query text (<c>db.query.text</c>).</param>
/// <param name="MedianMs">The operation's typical latency.</param>
internal sealed record SyntheticQuery(string Operation, string Collection, string SpanName, string Text, double MedianMs);
