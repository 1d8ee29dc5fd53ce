namespace OtlpFlow.Operators.Coordination.Tests.Servers;

/// <summary>The tests that share the servers of <see cref="ServersFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class ServersCollection : ICollectionFixture<ServersFixture>
{
    public const string Name = "servers";
}
