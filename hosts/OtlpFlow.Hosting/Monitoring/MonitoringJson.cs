using System.Text.Json;
using System.Text.Json.Serialization;

namespace OtlpFlow.Hosting.Monitoring;

/// <summary>How snapshots and topologies are written as JSON (camelCase names), for the dashboard's endpoints and their readers.</summary>
public static class MonitoringJson
{
    /// <summary>The serializer options (read-only): web defaults (camelCase, case-insensitive reading), nulls left out.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };

        // Shared by every caller: frozen, so that no one can change it for the others.
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
