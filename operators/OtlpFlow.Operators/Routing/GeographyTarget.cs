namespace OtlpFlow.Operators.Routing;

/// <summary>Where one target port of <c>routing.geography</c> is.</summary>
public sealed class GeographyTarget
{
    /// <summary>The target's region (<c>eu-west-1</c>). Default none.</summary>
    public string? Region { get; set; }

    /// <summary>The target's zone (<c>eu-west-1a</c>). Default none.</summary>
    public string? Zone { get; set; }
}
