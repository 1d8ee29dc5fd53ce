using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace OtlpFlow.Hosting.Tests.Docs;

/// <summary>
/// The C# snippets of docs/custom-operators.md compile against the engine, the test kit and the
/// hosting API as they are today. A snippet is a declaration (a class, a method of a test class)
/// or, when it starts with a statement, the body of a method given a host builder; the prelude
/// below supplies only what the page says lives elsewhere (the sample's redaction helpers, a test
/// request, a metrics builder).
/// </summary>
public sealed partial class DocSnippetTests
{
    // The implicit usings of an SDK project with <ImplicitUsings>enable</ImplicitUsings> (as the
    // guide's project file says), then what a snippet's file would say.
    private const string Usings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        using System.ComponentModel.DataAnnotations;
        using OpenTelemetry.Proto.Collector.Logs.V1;
        using OpenTelemetry.Proto.Collector.Metrics.V1;
        using OpenTelemetry.Proto.Collector.Trace.V1;
        using OtlpFlow.Engine.Operators;
        using OtlpFlow.Engine.Telemetry;
        using OtlpFlow.Engine.Testing;
        using OtlpFlow.Hosting;
        using Xunit;

        """;

    private const string Prelude = """
        public sealed partial class RedactEmailsOperator
        {
            private static void Redact(ExportTraceServiceRequest request) { }
            private static void Redact(ExportLogsServiceRequest request) { }
            private static void Redact(ExportMetricsServiceRequest request) { }
        }

        public sealed class SpanCountsOptions
        {
            public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(10);
        }

        public static class SpanCounts
        {
            public static ExportMetricsServiceRequest ToGauge(IReadOnlyDictionary<string, long> counts, DateTimeOffset at) => new();
        }
        """;

    [Fact]
    public void Every_csharp_snippet_of_the_operator_guide_compiles()
    {
        var page = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "custom-operators.md"));
        var snippets = Snippet().Matches(page).Select(m => m.Groups["code"].Value).ToList();
        Assert.True(snippets.Count >= 4, $"expected the guide's snippets, found {snippets.Count}");

        var sources = new List<string> { Usings + Prelude };
        var usings = string.Join('\n', Usings.Split('\n').Where(l => !l.StartsWith("global ", StringComparison.Ordinal)));
        for (var i = 0; i < snippets.Count; i++)
        {
            var code = snippets[i].Trim();
            if (code.StartsWith("[Fact]", StringComparison.Ordinal))
            {
                // A test method: it lives in a test class with a request helper.
                code = $"public sealed class GuideTests{i} {{ private static ExportTraceServiceRequest RequestWithEmail(string address) => new(); {code} }}";
            }
            else if (!Declaration().IsMatch(code))
            {
                // Statements: the body of a method that is given a host builder.
                code = $"public static class GuideStatements{i} {{ public static void Run(Microsoft.Extensions.Hosting.HostApplicationBuilder builder) {{\n{code}\n}} }}";
            }

            sources.Add(usings + code);
        }

        var compilation = CSharpCompilation.Create(
            "Guide",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Latest), path: $"snippet{i}.cs")),
            References(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "the guide's snippets do not compile:\n" + string.Join("\n", errors.Select(e => $"{e.Location.SourceTree?.FilePath}: {e.GetMessage(System.Globalization.CultureInfo.InvariantCulture)} in: {Line(e)}")));
    }

    private static string Line(Diagnostic error) =>
        error.Location.SourceTree?.GetText().Lines.GetLineFromPosition(error.Location.SourceSpan.Start).ToString().Trim() ?? string.Empty;

    private static IEnumerable<MetadataReference> References()
    {
        // The framework, plus everything this test project references (engine, test kit, hosting, xunit).
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToHashSet(StringComparer.Ordinal);
        foreach (var name in new[] { "OtlpFlow.Engine", "OtlpFlow.Engine.Testing", "OtlpFlow.Hosting", "Google.Protobuf", "xunit.assert", "xunit.core", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Hosting.Abstractions", "Microsoft.Extensions.DependencyInjection.Abstractions" })
        {
            paths.Add(Assembly.Load(name).Location);
        }

        return paths.Where(File.Exists).Select(p => MetadataReference.CreateFromFile(p));
    }

    [GeneratedRegex("```csharp\\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex Snippet();

    [GeneratedRegex(@"^(\[|///|public |internal |private |protected |sealed |static |namespace )")]
    private static partial Regex Declaration();
}
