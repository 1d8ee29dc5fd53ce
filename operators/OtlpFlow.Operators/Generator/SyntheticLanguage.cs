namespace OtlpFlow.Operators.Generator;

/// <summary>
/// The SDK language of a synthetic service and the instrumentation libraries it typically uses, one
/// per <see cref="ScopeRole"/> (a library may serve two roles, as HTTP libraries often do).
/// </summary>
internal sealed record SyntheticLanguage(
    string Sdk,
    string SdkVersion,
    string ServerLibrary,
    string HttpClientLibrary,
    string DatabaseLibrary,
    string MessagingLibrary,
    string LibraryVersion,
    string TimeoutException,
    string StackFrameFormat)
{
    /// <summary>The languages services are spread across.</summary>
    public static readonly SyntheticLanguage[] All =
    [
        new("dotnet", "1.13.1", "Microsoft.AspNetCore", "System.Net.Http", "Npgsql", "Confluent.Kafka", "10.0.0",
            "System.TimeoutException", "   at {0}.Handlers.RequestHandler.HandleAsync(Request request) in /src/{0}/Handlers/RequestHandler.cs:line {1}"),
        new("java", "1.55.0", "io.opentelemetry.tomcat-10.0", "io.opentelemetry.java-http-client", "io.opentelemetry.jdbc", "io.opentelemetry.kafka-clients-2.6", "2.20.0-alpha",
            "java.net.SocketTimeoutException", "\tat com.example.{0}.RequestHandler.handle(RequestHandler.java:{1})"),
        new("go", "1.38.0", "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", "github.com/XSAM/otelsql", "github.com/IBM/sarama/otelsarama", "0.63.0",
            "context.DeadlineExceeded", "main.(*{0}Handler).ServeHTTP\n\t/app/{0}/handler.go:{1}"),
        new("python", "1.37.0", "opentelemetry.instrumentation.flask", "opentelemetry.instrumentation.requests", "opentelemetry.instrumentation.psycopg2", "opentelemetry.instrumentation.kafka", "0.58b0",
            "TimeoutError", "  File \"/app/{0}/handlers.py\", line {1}, in handle"),
        new("nodejs", "2.1.0", "@opentelemetry/instrumentation-http", "@opentelemetry/instrumentation-http", "@opentelemetry/instrumentation-pg", "@opentelemetry/instrumentation-kafkajs", "0.205.0",
            "TimeoutError", "    at RequestHandler.handle (/app/{0}/handler.js:{1}:17)"),
    ];

    /// <summary>The library that plays <paramref name="role"/>; null for the application's own scope.</summary>
    public string? Library(ScopeRole role) => role switch
    {
        ScopeRole.Server => ServerLibrary,
        ScopeRole.HttpClient => HttpClientLibrary,
        ScopeRole.Database => DatabaseLibrary,
        ScopeRole.Messaging => MessagingLibrary,
        _ => null,
    };
}
