namespace OtlpFlow.Engine.Pipeline;

/// <summary>A parsed pipeline file: what to build, before any operator exists.</summary>
public sealed class PipelineSpec
{
    /// <summary>The pipeline's name (file name when not given).</summary>
    public required string Name { get; init; }

    /// <summary>The file it came from, if any; relative plugin paths resolve against its folder.</summary>
    public string? FilePath { get; init; }

    /// <summary>Default input capacity in batches.</summary>
    public int DefaultCapacity { get; init; } = PipelineLoader.DefaultCapacity;

    /// <summary>Default parallelism.</summary>
    public int DefaultParallelism { get; init; } = 1;

    /// <summary>Budget of in-flight bytes; 0 for none.</summary>
    public long MemoryLimitBytes { get; init; }

    /// <summary>How long a stop may take to drain before in-flight work is abandoned.</summary>
    public TimeSpan DrainTimeout { get; init; } = PipelineLoader.DefaultDrainTimeout;

    /// <summary>Plugin assemblies to load operators from.</summary>
    public IReadOnlyList<string> Plugins { get; init; } = [];

    /// <summary>Where the engine's own metrics are exported (the <c>"telemetry"</c> section); null when the file has none.</summary>
    public PipelineTelemetryOptions? Telemetry { get; init; }

    /// <summary>
    /// The <c>"coordination"</c> section (etcd, Redis) as written; the coordination operators and the
    /// host read it, the engine does not. Null when the file has none.
    /// </summary>
    public System.Text.Json.Nodes.JsonObject? Coordination { get; init; }

    /// <summary>The operators, in file order.</summary>
    public IReadOnlyList<OperatorSpec> Operators { get; init; } = [];

    /// <summary>Positions of every value in the file, for error messages.</summary>
    public required JsonPositionMap Positions { get; init; }

    /// <summary>Problems found while parsing; the builder reports them together with its own.</summary>
    public IReadOnlyList<PipelineError> Problems { get; init; } = [];

    /// <summary>
    /// Values that came from <c>${env:...}</c> and <c>${file:...}</c> references: treated as secrets and
    /// replaced by <c>***</c> (<see cref="Redact"/>) in errors and logs.
    /// </summary>
    public IReadOnlyCollection<string> Secrets { get; init; } = [];

    /// <summary>
    /// <paramref name="text"/> with every secret of three characters or more replaced by <c>***</c>
    /// (shorter values would mangle ordinary text, and are no secret worth the name).
    /// </summary>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var secret in Secrets)
        {
            if (secret.Length >= 3)
            {
                text = text.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return text;
    }

    /// <summary>Makes an error located at <paramref name="jsonPath"/>.</summary>
    public PipelineError Error(string? operatorId, string jsonPath, string message)
    {
        var (line, column) = Positions.Find(jsonPath);
        return new PipelineError(FilePath, line, column, operatorId, jsonPath, Redact(message));
    }
}
