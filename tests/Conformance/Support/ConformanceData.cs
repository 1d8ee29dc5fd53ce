using System.Text.Json;

namespace OtlpFlow.Conformance;

/// <summary>
/// OpenTelemetry's conformance data (tests/Conformance/data, see its SOURCES.md and NOTICE), copied
/// next to the test binaries by the test project.
/// </summary>
internal static class ConformanceData
{
    /// <summary>The folder the data files are in: Conformance/data next to the test assembly.</summary>
    public static string Directory { get; } = System.IO.Path.Combine(AppContext.BaseDirectory, "Conformance", "data");

    /// <summary>The official OTLP/JSON examples and the Collector's pdata vectors, as paths relative to <see cref="Directory"/>.</summary>
    public static IReadOnlyList<string> OtlpJsonFiles { get; } =
    [
        .. Relative("opentelemetry-proto/examples"),
        .. Relative("opentelemetry-collector/pdata"),
    ];

    /// <summary>One xunit case per OTLP/JSON file, named by its relative path.</summary>
    public static TheoryData<string> OtlpJsonCases() => new(OtlpJsonFiles);

    public static string Path(string relative) => System.IO.Path.Combine(Directory, relative);

    public static string ReadText(string relative) => File.ReadAllText(Path(relative));

    public static JsonDocument ReadJson(string relative) => JsonDocument.Parse(ReadText(relative));

    /// <summary>The file's JSON on one line, as a request of file.reader's JSON lines format.</summary>
    public static string OneLine(string relative)
    {
        using var document = ReadJson(relative);
        return JsonSerializer.Serialize(document.RootElement);
    }

    private static IEnumerable<string> Relative(string folder)
    {
        var full = System.IO.Path.Combine(Directory, folder);
        if (!System.IO.Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"Conformance data missing next to the tests: {full}");
        }

        return System.IO.Directory.GetFiles(full, "*.json")
            .Select(f => folder + "/" + System.IO.Path.GetFileName(f))
            .Order(StringComparer.Ordinal);
    }
}
