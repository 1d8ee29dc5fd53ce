namespace OtlpFlow.Hosting.Monitoring;

/// <summary>One operator of a <see cref="PipelineTopology"/>.</summary>
/// <param name="Id">The operator's id.</param>
/// <param name="Type">Its registered type.</param>
/// <param name="Kind"><c>source</c>, <c>processor</c> or <c>sink</c>.</param>
/// <param name="Layer">Its depth: 0 for an operator without inputs, else one more than its deepest input.</param>
/// <param name="Row">Its place within its layer, in file order.</param>
public sealed record TopologyNode(string Id, string Type, string Kind, int Layer, int Row);
