namespace OtlpFlow.Operators.Generator;

/// <summary>What an instrumentation library instruments; a service maps each role to one of its scopes.</summary>
internal enum ScopeRole
{
    Server,
    HttpClient,
    Database,
    Messaging,
    Application,
}
