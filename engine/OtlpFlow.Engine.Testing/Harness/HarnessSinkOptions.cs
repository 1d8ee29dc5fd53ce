namespace OtlpFlow.Engine.Testing.Harness;

/// <summary>Options of a harness sink: which port of the operator under test it records.</summary>
internal sealed class HarnessSinkOptions
{
    /// <summary>The port's name.</summary>
    public string Port { get; set; } = "out";
}
