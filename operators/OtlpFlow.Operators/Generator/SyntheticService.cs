using System.Globalization;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;

namespace OtlpFlow.Operators.Generator;

/// <summary>
/// One synthetic service: its resource, its instrumentation scopes and the operations it serves,
/// calls and publishes. Every string is prepared once here so that generating an item costs no
/// formatting. The resource and scopes are templates: a batch takes clones of them.
/// </summary>
internal sealed class SyntheticService
{
    private static readonly string[] BaseNames =
    [
        "frontend", "checkout", "cart", "payment", "inventory", "shipping", "catalog", "recommendation",
        "pricing", "auth", "notification", "search", "review", "fraud", "ledger",
    ];

    private static readonly string[] Environments = ["production", "production", "production", "staging"];

    private static readonly string[] InternalOperations =
    [
        "validate request", "authorize", "apply business rules", "serialize response", "load configuration",
        "compute totals", "render template", "map entities",
    ];

    private static readonly string[] ErrorMessages =
    [
        "upstream request timed out after 5s", "connection refused", "deadlock detected; transaction rolled back",
        "invalid argument: quantity must be positive", "rate limit exceeded", "record not found",
        "TLS handshake failed", "too many open connections",
    ];

    private SyntheticService(int index, string name, SyntheticLanguage language, Random random)
    {
        Index = index;
        Name = name;
        Language = language;
        HostName = string.Create(CultureInfo.InvariantCulture, $"{name}-{random.Next(0x10000, 0xFFFFF):x5}-{random.Next(100, 999)}");
        Port = 8080;

        var version = string.Create(CultureInfo.InvariantCulture, $"{1 + random.Next(3)}.{random.Next(20)}.{random.Next(10)}");
        Resource = new Resource();
        Resource.Attributes.Add(SyntheticAttributes.Str("service.name", name));
        Resource.Attributes.Add(SyntheticAttributes.Str("service.namespace", "shop"));
        Resource.Attributes.Add(SyntheticAttributes.Str("service.version", version));
        Resource.Attributes.Add(SyntheticAttributes.Str("service.instance.id", Convert.ToHexStringLower(random.Id(16).Span)));
        Resource.Attributes.Add(SyntheticAttributes.Str("host.name", HostName));
        Resource.Attributes.Add(SyntheticAttributes.Str("deployment.environment", random.Pick(Environments)));
        Resource.Attributes.Add(SyntheticAttributes.Str("telemetry.sdk.name", "opentelemetry"));
        Resource.Attributes.Add(SyntheticAttributes.Str("telemetry.sdk.language", language.Sdk));
        Resource.Attributes.Add(SyntheticAttributes.Str("telemetry.sdk.version", language.SdkVersion));

        // One scope per distinct library: when the server and client roles share a library they share a scope.
        var scopes = new List<InstrumentationScope>();
        ScopeByRole = new int[Enum.GetValues<ScopeRole>().Length];
        foreach (var role in Enum.GetValues<ScopeRole>())
        {
            var library = language.Library(role) ?? name;
            var at = scopes.FindIndex(s => s.Name == library);
            if (at < 0)
            {
                at = scopes.Count;
                scopes.Add(new InstrumentationScope { Name = library, Version = language.Library(role) is null ? version : language.LibraryVersion });
            }

            ScopeByRole[(int)role] = at;
        }

        Scopes = [.. scopes];

        var basePath = "/api/" + name;
        Routes =
        [
            MakeRoute("GET", basePath, 25, false, random),
            MakeRoute("GET", basePath + "/{id}", 12, false, random),
            MakeRoute("POST", basePath, 45, true, random),
            MakeRoute("PUT", basePath + "/{id}", 30, true, random),
            MakeRoute("DELETE", basePath + "/{id}", 15, false, random),
        ];

        DatabaseSystem = random.Pick(["postgresql", "postgresql", "mysql", "mongodb"]);
        DatabaseName = "shop_" + name.Replace('-', '_');
        var table = name.Replace('-', '_') + "_items";
        Queries = DatabaseSystem == "mongodb"
            ?
            [
                new("find", table, "find " + table, "{ \"find\": \"" + table + "\", \"filter\": { \"_id\": \"?\" } }", 3),
                new("insert", table, "insert " + table, "{ \"insert\": \"" + table + "\", \"documents\": [\"?\"] }", 6),
                new("update", table, "update " + table, "{ \"update\": \"" + table + "\", \"updates\": [\"?\"] }", 5),
            ]
            :
            [
                new("SELECT", table, "SELECT " + table, "SELECT id, status, updated_at FROM " + table + " WHERE id = $1", 3),
                new("INSERT", table, "INSERT " + table, "INSERT INTO " + table + " (id, payload) VALUES ($1, $2)", 6),
                new("UPDATE", table, "UPDATE " + table, "UPDATE " + table + " SET status = $1 WHERE id = $2", 5),
                new("SELECT", "audit_log", "SELECT audit_log", "SELECT * FROM audit_log WHERE entity_id = $1 ORDER BY ts DESC LIMIT 20", 8),
            ];

        Operations = new string[3];
        for (var i = 0; i < Operations.Length; i++)
        {
            Operations[i] = random.Pick(InternalOperations);
        }

        Functions = [name + ".Handlers.Handle", name + ".Domain.Apply", name + ".Storage.Load"];
        Topics = [name + ".events", name + ".updated"];
        PublishSpanNames = ["publish " + Topics[0], "publish " + Topics[1]];
        ProcessSpanNames = ["process " + Topics[0], "process " + Topics[1]];
        CacheKeys = [name + ":session", name + ":item", name + ":config"];
        Messages = ErrorMessages;
        StackTrace = language.TimeoutException + ": " + ErrorMessages[0] + "\n"
            + string.Format(CultureInfo.InvariantCulture, language.StackFrameFormat, name, 40 + random.Next(200)) + "\n"
            + string.Format(CultureInfo.InvariantCulture, language.StackFrameFormat, name, 300 + random.Next(200));
    }

    public int Index { get; }

    public string Name { get; }

    public SyntheticLanguage Language { get; }

    public string HostName { get; }

    public int Port { get; }

    public Resource Resource { get; }

    public InstrumentationScope[] Scopes { get; }

    /// <summary>The index in <see cref="Scopes"/> of each role's library, by <c>(int)ScopeRole</c>.</summary>
    public int[] ScopeByRole { get; }

    public SyntheticRoute[] Routes { get; }

    public string DatabaseSystem { get; }

    public string DatabaseName { get; }

    public SyntheticQuery[] Queries { get; }

    public string[] Operations { get; }

    public string[] Functions { get; }

    public string[] Topics { get; }

    public string[] PublishSpanNames { get; }

    public string[] ProcessSpanNames { get; }

    public string[] CacheKeys { get; }

    public string[] Messages { get; }

    public string StackTrace { get; }

    public int Scope(ScopeRole role) => ScopeByRole[(int)role];

    /// <summary>Makes <paramref name="count"/> services, names unique, languages spread evenly.</summary>
    public static SyntheticService[] CreateAll(int count, Random random)
    {
        var services = new SyntheticService[count];
        for (var i = 0; i < count; i++)
        {
            var name = BaseNames[i % BaseNames.Length];
            if (i >= BaseNames.Length)
            {
                name = string.Create(CultureInfo.InvariantCulture, $"{name}-{(i / BaseNames.Length) + 1}");
            }

            services[i] = new SyntheticService(i, name, SyntheticLanguage.All[i % SyntheticLanguage.All.Length], random);
        }

        return services;
    }

    private SyntheticRoute MakeRoute(string method, string route, double medianMs, bool carriesAmount, Random random)
    {
        var paths = new string[route.Contains('{', StringComparison.Ordinal) ? 8 : 1];
        var urls = new string[paths.Length];
        for (var i = 0; i < paths.Length; i++)
        {
            paths[i] = route.Replace("{id}", random.Next(1000, 99999).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            urls[i] = string.Create(CultureInfo.InvariantCulture, $"http://{Name}:{Port}{paths[i]}");
        }

        return new SyntheticRoute(method, route, method + " " + route, paths, urls, medianMs, carriesAmount);
    }
}
